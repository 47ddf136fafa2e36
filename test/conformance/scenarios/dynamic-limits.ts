// Conformance scenarios — Limits that depend on the request: tiers by header, each its own policy.
import { expect } from 'vitest'
import { hit, parseListField, statuses, withApp } from '../app-factory.js'
import type { Scenario } from './kit.js'

const TIER_CAPACITY: Record<string, number> = { free: 2, pro: 4 }

export const dynamicLimitsScenarios: readonly Scenario[] = [
  {
    id: 'tiers-by-header',
    name: 'MUST give each capacity a capacity function returns its own policy: own buckets, own RateLimit-Policy entry',
    run: (ctx) => {
      const capacity = (request: unknown) => TIER_CAPACITY[String(ctx.app.headerOf(request, 'x-tier'))] ?? 1
      const global = { name: 'api', capacity, refillRate: { tokens: 5, per: '1m' }, store: ctx.store() }
      return withApp(ctx, { global }, async (app) => {
        const free = { 'x-tier': 'free' }
        const pro = { 'x-tier': 'pro' }
        expect(await statuses(app, 3, '/', free)).toEqual([200, 200, 429])
        const first = await hit(app, '/', pro) // same client, other tier: a bucket of its own
        expect(first.status).toBe(200)
        expect(parseListField(first.headers.get('ratelimit-policy')).map((p) => [p.value, p.params.q])).toEqual([
          ['api:4@0.0833333/s', 4],
        ])
        expect(await statuses(app, 4, '/', pro)).toEqual([200, 200, 200, 429])
        const rejected = await hit(app, '/', free)
        expect(rejected.json()['violated-policies']).toEqual(['api:2@0.0833333/s'])
      })
    },
  },
  {
    id: 'bad-dynamic-limit',
    name: 'MUST handle a capacity function returning a bad value by onCallbackError, never a crash',
    run: (ctx) => {
      const capacity = (request: unknown) => (ctx.app.headerOf(request, 'x-tier') === 'broken' ? -1 : 2)
      const global = { capacity, refillRate: 1, store: ctx.store(), onCallbackError: 'deny' as const }
      return withApp(ctx, { global }, async (app) => {
        expect((await hit(app, '/', { 'x-tier': 'broken' })).status).toBe(503)
        expect((await hit(app, '/')).status).toBe(200)
      })
    },
  },
]
