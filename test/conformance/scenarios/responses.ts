// Conformance scenarios — The rejection: problem+json by default, custom status, body and handler, onLimited.
import { expect } from 'vitest'
import { hit, parseListField, statuses, withApp } from '../app-factory.js'
import { PROBLEM_TYPES, type Scenario, slow } from './kit.js'

export const responsesScenarios: readonly Scenario[] = [
  {
    id: 'problem-body',
    name: 'MUST answer 429 with an application/problem+json body naming the violated policy',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1, { name: 'api' }) }, async (app) => {
        await hit(app)
        const rejected = await hit(app)
        expect(rejected.headers.get('content-type')).toMatch(/^application\/problem\+json/)
        expect(rejected.json()).toMatchObject({
          type: `${PROBLEM_TYPES}#quota-exceeded`,
          title: 'Too Many Requests',
          status: 429,
          'violated-policies': ['api'],
        })
      }),
  },
  {
    id: 'custom-status-and-body',
    name: 'MUST send a custom statusCode and body (JSON for values, text for strings)',
    run: (ctx) => {
      const text = (decision: { policy: { name: string } }) => `slow down (${decision.policy.name})`
      const spec = {
        routes: {
          '/json': slow(ctx, 1, { statusCode: 503, body: { error: 'slow down' } }),
          '/text': slow(ctx, 1, { name: 'text', body: text }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect(await statuses(app, 1, '/json')).toEqual([200])
        const json = await hit(app, '/json')
        expect(json.status).toBe(503)
        expect(json.headers.get('content-type')).toMatch(/^application\/json/)
        expect(json.json()).toEqual({ error: 'slow down' })
        expect(await statuses(app, 1, '/text')).toEqual([200])
        const plain = await hit(app, '/text')
        expect(plain.status).toBe(429)
        expect(plain.headers.get('content-type')).toMatch(/^text\/plain/)
        expect(plain.text).toBe('slow down (text)')
      })
    },
  },
  {
    id: 'custom-handler',
    name: 'MUST let a custom handler write the rejection, with the RateLimit headers already set',
    run: (ctx) => {
      const handler = ({ decision }: { decision?: { policy: { name: string } } }) => ({
        status: 418,
        body: `teapot ${decision?.policy.name}`,
      })
      return withApp(ctx, { global: slow(ctx, 1, { name: 'api', handler }) }, async (app) => {
        await hit(app)
        const rejected = await hit(app)
        expect([rejected.status, rejected.text]).toEqual([418, 'teapot api'])
        expect(rejected.headers.get('retry-after')).toBe('12')
        expect(parseListField(rejected.headers.get('ratelimit'))[0]?.params.r).toBe(0)
      })
    },
  },
  {
    id: 'on-limited',
    name: 'MUST call onLimited once per rejection, with the decision',
    run: (ctx) => {
      const limited: { allowed: boolean; name: string }[] = []
      const onLimited = (decision: { allowed: boolean; policy: { name: string } }) =>
        limited.push({ allowed: decision.allowed, name: decision.policy.name })
      return withApp(ctx, { global: slow(ctx, 1, { name: 'api', onLimited }) }, async (app) => {
        expect(await statuses(app, 3)).toEqual([200, 429, 429])
        expect(limited).toEqual([
          { allowed: false, name: 'api' },
          { allowed: false, name: 'api' },
        ])
      })
    },
  },
]
