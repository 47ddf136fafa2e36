// Conformance scenarios — RateLimit header fields per draft, stacked policies, jitter, and the decision handed on.
// Sentences quoted are from draft-ietf-httpapi-ratelimit-headers -06 and -10 (the drafts each writer follows).
import { expect } from 'vitest'
import { type EchoBody, hit, parseListField, withApp } from '../app-factory.js'
import { type Scenario, slow } from './kit.js'

const FIVE_PER_FIVE_MINUTES = { tokens: 5, per: '5m' }

export const headersScenarios: readonly Scenario[] = [
  {
    id: 'headers-draft-11',
    name: "MUST send draft-11 RateLimit and RateLimit-Policy by default, matching the decision ('q', 'w', 'r', 't'), r/t ≤ R",
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
        // Effective window: 4 tokens at one per 12 s are earned back in 48 s, so r/t is the policy's rate
        // ("cap the ratio between the remaining and the reset parameter values", -10 §6).
        expect(item?.params.t).toBe(48)
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
    id: 'headers-first-policy-replaces',
    name: "MUST set the first policy's RateLimit fields as they are, replacing ones other code set before; a later policy's are appended",
    run: (ctx) => {
      const spec = {
        presetHeader: ['RateLimit', '"upstream";r=1;t=1'],
        global: slow(ctx, 5, { name: 'global' }),
        routes: { '/login': slow(ctx, 3, { name: 'login' }) },
      } as const
      return withApp(ctx, spec, async (app) => {
        const reply = await hit(app, '/login')
        expect(reply.status).toBe(200)
        expect(parseListField(reply.headers.get('ratelimit')).map((item) => [item.value, item.params.r])).toEqual([
          ['global', 4],
          ['login', 2],
        ])
        expect(parseListField(reply.headers.get('ratelimit-policy')).map((item) => item.value)).toEqual([
          'global',
          'login',
        ])
      })
    },
  },
  {
    id: 'headers-draft-6-stacked',
    name: 'MUST describe the stacked policy closest to its limit in draft-6 Limit/Remaining/Reset, one Policy item per quota',
    run: (ctx) => {
      const spec = {
        global: slow(ctx, 5, { name: 'global', standardHeaders: 'draft-6', legacyHeaders: true }),
        routes: {
          '/login': slow(ctx, 5, { name: 'login', refillRate: FIVE_PER_FIVE_MINUTES, standardHeaders: 'draft-6' }),
        },
      } as const
      return withApp(ctx, spec, async (app) => {
        expect((await hit(app, '/')).status).toBe(200)
        expect((await hit(app, '/')).status).toBe(200)
        const reply = await hit(app, '/login') // global: 2 left, next token in 12 s; login: 4 left
        expect(reply.status).toBe(200)
        // -06 §3.1: "The expiring-limit MUST be set to the service limit that is closest to reaching its limit"
        const trio = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((n) => reply.headers.get(n))
        expect(trio).toEqual(['5', '2', '12'])
        expect(reply.headers.get('x-ratelimit-remaining')).toBe('2')
        // -06 §3.2: "Two quota policies MUST NOT be associated with the same quota units value." 5 per 60 s and
        // 5 per 300 s: the stricter one stays.
        expect(parseListField(reply.headers.get('ratelimit-policy'))).toEqual([{ value: 5, params: { w: 300 } }])
      })
    },
  },
  {
    id: 'headers-draft-6-reset-is-retry-after',
    name: 'MUST point draft-6 RateLimit-Reset at the same second as Retry-After when a cost > 1 is rejected',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 4, { cost: 3, standardHeaders: 'draft-6' }) }, async (app) => {
        expect((await hit(app)).status).toBe(200)
        const rejected = await hit(app) // 1 left, 3 needed: 2 tokens at one per 12 s
        expect(rejected.status).toBe(429)
        // -06 §4: "the RateLimit-Reset header field value SHOULD reference the same point in time as the
        // Retry-After field value."
        expect([rejected.headers.get('retry-after'), rejected.headers.get('ratelimit-reset')]).toEqual(['24', '24'])
        expect(rejected.headers.get('ratelimit-remaining')).toBe('1')
      }),
  },
  {
    id: 'retry-jitter',
    name: 'MUST spread Retry-After over retryJitter, never below the true wait, with the reset hints at the same second',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1, { retryJitter: { maxMs: 30_000 }, legacyHeaders: true }) }, async (app) => {
        expect((await hit(app)).status).toBe(200)
        const seen = new Set<number>()
        for (let i = 0; i < 12; i++) {
          const rejected = await hit(app)
          const retryAfter = Number(rejected.headers.get('retry-after'))
          // The true wait is ≤ 12 s and > 11 s (time passes between requests): 12 s up to 12 + 30 s.
          expect(retryAfter).toBeGreaterThanOrEqual(12)
          expect(retryAfter).toBeLessThanOrEqual(42)
          expect(parseListField(rejected.headers.get('ratelimit'))[0]?.params.t).toBe(retryAfter)
          expect(rejected.headers.get('x-ratelimit-reset')).toBe(String(retryAfter))
          seen.add(retryAfter)
        }
        // 12 draws over 30 seconds: all alike has a probability below 1e-15.
        expect(seen.size).toBeGreaterThan(1)
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
