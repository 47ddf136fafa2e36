// Conformance scenarios — RateLimit header fields per draft, and the decision handed to later handlers.
import { expect } from 'vitest'
import { type EchoBody, hit, parseListField, withApp } from '../app-factory.js'
import { type Scenario, slow } from './kit.js'

export const headersScenarios: readonly Scenario[] = [
  {
    id: 'headers-draft-11',
    name: "MUST send draft-11 RateLimit and RateLimit-Policy by default, matching the decision ('q', 'w', 'r', 't')",
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { name: 'api' }) }, async (app) => {
        const reply = await hit(app)
        const { remaining, limit } = reply.json<EchoBody>()
        expect([remaining, limit]).toEqual([4, 5])
        expect(parseListField(reply.headers.get('ratelimit-policy'))).toEqual([
          { value: 'api', params: { q: limit, w: 60 } },
        ])
        const [item] = parseListField(reply.headers.get('ratelimit'))
        expect(item?.value).toBe('api')
        expect(item?.params.r).toBe(remaining)
        expect(item?.params.t).toBeOneOf([11, 12])
        for (const name of ['ratelimit-limit', 'x-ratelimit-limit', 'retry-after']) {
          expect(reply.headers.get(name)).toBeNull()
        }
      }),
  },
  {
    id: 'headers-draft-10',
    name: "MUST send draft-10 fields with standardHeaders: 'draft-10'",
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { name: 'api', standardHeaders: 'draft-10' }) }, async (app) => {
        const reply = await hit(app)
        expect(parseListField(reply.headers.get('ratelimit-policy'))).toEqual([
          { value: 'api', params: { q: 5, w: 60 } },
        ])
        expect(parseListField(reply.headers.get('ratelimit'))).toEqual([
          { value: 'api', params: { r: reply.json<EchoBody>().remaining, t: 12 } },
        ])
      }),
  },
  {
    id: 'headers-draft-6',
    name: "MUST send RateLimit-Limit/-Remaining/-Reset and an unnamed policy with standardHeaders: 'draft-6'",
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { standardHeaders: 'draft-6' }) }, async (app) => {
        const reply = await hit(app)
        expect(reply.headers.get('ratelimit-limit')).toBe('5')
        expect(reply.headers.get('ratelimit-remaining')).toBe(String(reply.json<EchoBody>().remaining))
        expect(reply.headers.get('ratelimit-reset')).toBe('12')
        expect(parseListField(reply.headers.get('ratelimit-policy'))).toEqual([{ value: 5, params: { w: 60 } }])
        expect(reply.headers.get('ratelimit')).toBeNull()
      }),
  },
  {
    id: 'legacy-headers',
    name: 'MUST add X-RateLimit-Limit/-Remaining/-Reset with legacyHeaders: true',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { legacyHeaders: true }) }, async (app) => {
        const reply = await hit(app)
        expect(reply.headers.get('x-ratelimit-limit')).toBe('5')
        expect(reply.headers.get('x-ratelimit-remaining')).toBe('4')
        expect(reply.headers.get('x-ratelimit-reset')).toBe('12')
        expect(reply.headers.get('ratelimit')).not.toBeNull()
      }),
  },
  {
    id: 'headers-off',
    name: 'MUST send no RateLimit fields with standardHeaders: false, yet Retry-After on 429',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1, { standardHeaders: false }) }, async (app) => {
        const admitted = await hit(app)
        const names = [...admitted.headers.keys()].filter((name) => name.includes('ratelimit'))
        expect(names).toEqual([])
        const rejected = await hit(app)
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toBe('12')
      }),
  },
  {
    id: 'decision-on-request',
    name: 'MUST make the decision reachable by later handlers (req.rateLimit / request.rateLimit / ctx.state.rateLimit)',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 3, { name: 'api' }) }, async (app) => {
        for (const expected of [2, 1, 0]) {
          const reply = await hit(app)
          const echo = reply.json<EchoBody>()
          expect(echo).toEqual({ policy: 'api', remaining: expected, limit: 3 })
          expect(parseListField(reply.headers.get('ratelimit'))[0]?.params.r).toBe(echo.remaining)
        }
      }),
  },
]
