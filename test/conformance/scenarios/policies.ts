// Conformance scenarios — Several policies: per route, stacked, exempt, and shared between apps.
import { expect } from 'vitest'
import { type EchoBody, hit, type PolicySpec, parseListField, statuses, withApp } from '../app-factory.js'
import { expectConfigError, header, type Scenario, slow } from './kit.js'

export const policiesScenarios: readonly Scenario[] = [
  {
    id: 'route-policy',
    name: 'MUST apply a route policy on its route only',
    run: (ctx) =>
      withApp(ctx, { routes: { '/login': slow(ctx, 2, { name: 'login' }) } }, async (app) => {
        expect(await statuses(app, 2, '/login')).toEqual([200, 200])
        const rejected = await hit(app, '/login')
        expect(rejected.status).toBe(429)
        expect(rejected.json()['violated-policies']).toEqual(['login'])
        expect(await statuses(app, 5, '/')).toEqual([200, 200, 200, 200, 200])
        expect((await hit(app, '/')).headers.get('ratelimit')).toBeNull()
      }),
  },
  {
    id: 'stacked-policies',
    name: 'MUST admit only when both the app-wide and the route policy admit, and list both in RateLimit',
    run: (ctx) => {
      // Each policy on a store of its own: all-or-nothing across stores (a give-back on Redis).
      const spec = { global: slow(ctx, 3, { name: 'global' }), routes: { '/login': slow(ctx, 2, { name: 'login' }) } }
      return withApp(ctx, spec, async (app) => {
        const first = await hit(app, '/login')
        expect(first.status).toBe(200)
        expect(first.json<EchoBody>().policy).toBe('login')
        const policies = parseListField(first.headers.get('ratelimit-policy'))
        expect(policies.map((p) => [p.value, p.params.q])).toEqual([
          ['global', 3],
          ['login', 2],
        ])
        expect(parseListField(first.headers.get('ratelimit')).map((i) => [i.value, i.params.r])).toEqual([
          ['global', 2],
          ['login', 1],
        ])
        expect((await hit(app, '/login')).status).toBe(200)
        const rejected = await hit(app, '/login')
        expect(rejected.status).toBe(429)
        expect(rejected.json()['violated-policies']).toEqual(['login'])
        // All-or-nothing: the route policy rejected, so the app-wide token is not taken (or is given back).
        expect(parseListField(rejected.headers.get('ratelimit')).map((i) => [i.value, i.params.r])).toEqual([
          ['global', 1],
          ['login', 0],
        ])
        expect(parseListField(rejected.headers.get('ratelimit-policy')).map((p) => p.value)).toEqual([
          'global',
          'login',
        ])
        expect((await hit(app, '/')).status).toBe(200)
        const global = await hit(app, '/')
        expect(global.status).toBe(429)
        expect(global.json()['violated-policies']).toEqual(['global'])
      })
    },
  },
  {
    id: 'stacked-policies-atomic',
    name: 'MUST take no app-wide token for requests the route policy rejects (one store: one atomic step)',
    run: (ctx) => {
      const store = ctx.store()
      const spec = {
        global: { name: 'global', capacity: 3, refillRate: { tokens: 5, per: '1m' }, store },
        routes: { '/login': { name: 'login', capacity: 1, refillRate: { tokens: 5, per: '1m' }, store } },
      }
      return withApp(ctx, spec, async (app) => {
        // Taken one after the other, these 7 logins would take 3 app-wide tokens and leave none for '/'.
        expect(await statuses(app, 7, '/login')).toEqual([200, 429, 429, 429, 429, 429, 429])
        const rejected = await hit(app, '/login')
        expect(parseListField(rejected.headers.get('ratelimit')).map((i) => [i.value, i.params.r])).toEqual([
          ['global', 2],
          ['login', 0],
        ])
        expect(await statuses(app, 3, '/')).toEqual([200, 200, 429])
      })
    },
  },
  {
    id: 'stacked-policies-headers',
    name: 'MUST list every policy of a rejected request, name each exceeded one, and send the longest wait',
    run: (ctx) => {
      const store = ctx.store()
      // global: one token every 12 s; login: one every 60 s.
      const spec = {
        global: { name: 'global', capacity: 2, refillRate: { tokens: 5, per: '1m' }, store, legacyHeaders: true },
        routes: { '/login': { name: 'login', capacity: 1, refillRate: { tokens: 1, per: '1m' }, store } },
      }
      return withApp(ctx, spec, async (app) => {
        expect((await hit(app, '/login')).status).toBe(200)
        const byLogin = await hit(app, '/login')
        expect(byLogin.status).toBe(429)
        expect(byLogin.json()['violated-policies']).toEqual(['login'])
        expect(byLogin.headers.get('retry-after')).toBe('60')
        expect(parseListField(byLogin.headers.get('ratelimit')).map((i) => [i.value, i.params.r])).toEqual([
          ['global', 1],
          ['login', 0],
        ])
        expect((await hit(app, '/')).status).toBe(200)
        // Now both are exceeded. Fastify decides a route's policies together and names both; an Express or
        // Koa app-wide middleware rejects before the route's middleware runs, so only it is named there.
        const byBoth = await hit(app, '/login')
        expect(byBoth.status).toBe(429)
        const violated = ctx.app.name === 'fastify' ? ['global', 'login'] : ['global']
        expect(byBoth.json()['violated-policies']).toEqual(violated)
        const retryAfter = Number(byBoth.headers.get('retry-after'))
        // The longest wait: login's (about 60 s) where both were decided, else global's (about 12 s).
        if (ctx.app.name === 'fastify') expect(retryAfter).toBeGreaterThan(50)
        else expect(retryAfter).toBeLessThanOrEqual(12)
        const items = parseListField(byBoth.headers.get('ratelimit')).map((i) => i.value)
        expect(items).toEqual(ctx.app.name === 'fastify' ? ['global', 'login'] : ['global'])
      })
    },
  },
  {
    id: 'exempt-route',
    name: 'MUST neither count nor limit an exempt route',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1), routes: { '/health': false } }, async (app) => {
        const health = await hit(app, '/health')
        expect(health.status).toBe(200)
        expect(health.headers.get('ratelimit')).toBeNull()
        expect(await statuses(app, 2, '/health')).toEqual([200, 200])
        expect(await statuses(app, 2, '/')).toEqual([200, 429])
        expect((await hit(app, '/health')).status).toBe(200)
      }),
  },
  {
    id: 'shared-store',
    name: 'MUST share buckets between two app instances on one Redis store prefix',
    sharedStoreOnly: true,
    run: async (ctx) => {
      const prefix = `conformance:${ctx.app.name}:${Math.random().toString(36).slice(2)}:`
      const spec = () => ({ global: { capacity: 4, refillRate: 1 / 60, name: 'shared', store: ctx.store(prefix) } })
      await withApp(ctx, spec(), (first) =>
        withApp(ctx, spec(), async (second) => {
          const remaining: unknown[] = []
          for (const app of [first, second, first, second]) remaining.push((await hit(app)).json<EchoBody>().remaining)
          expect(remaining).toEqual([3, 2, 1, 0])
          expect([(await hit(first)).status, (await hit(second)).status]).toEqual([429, 429])
        }),
      )
    },
  },
  {
    id: 'same-policy-counted-once',
    name: 'MUST count a request once when an app-wide and a route middleware apply the same policy to the same buckets',
    run: (ctx) => {
      const store = ctx.store()
      const policy = { name: 'api', capacity: 3, refillRate: { tokens: 5, per: '1m' }, store }
      return withApp(ctx, { global: policy, routes: { '/twice': { ...policy } } }, async (app) => {
        const remaining: unknown[] = []
        for (let i = 0; i < 3; i++) remaining.push((await hit(app, '/twice')).json<EchoBody>().remaining)
        expect(remaining).toEqual([2, 1, 0])
        expect((await hit(app, '/twice')).status).toBe(429)
      })
    },
  },
  {
    id: 'shared-defaults',
    name: 'MUST let every policy inherit shared defaults (store, headers, key), each keeping its own bucket shape',
    run: (ctx) => {
      const store = ctx.store()
      const defaults = { store, standardHeaders: 'draft-6', key: header(ctx, 'x-user') } satisfies Partial<PolicySpec>
      const routes = { '/login': { name: 'login', capacity: 2, refillRate: { tokens: 5, per: '1m' } } }
      return withApp(ctx, { defaults, routes }, async (app) => {
        const first = await hit(app, '/login', { 'x-user': 'ann' })
        expect(first.headers.get('ratelimit-limit')).toBe('2')
        expect(first.headers.get('ratelimit')).toBeNull()
        expect(await statuses(app, 2, '/login', { 'x-user': 'ann' })).toEqual([200, 429])
        expect((await hit(app, '/login', { 'x-user': 'bob' })).status).toBe(200)
        expect((await hit(app, '/')).headers.get('ratelimit-limit')).toBeNull()
      })
    },
  },
  {
    id: 'shared-defaults-reject-policy-options',
    name: 'MUST reject capacity, refillRate, name or cost in shared defaults with a coded error, at construction',
    run: async (ctx) => {
      for (const option of ['capacity', 'refillRate', 'name', 'cost'] as const) {
        const defaults = { [option]: option === 'name' ? 'x' : 1 } as Partial<PolicySpec>
        await expectConfigError(ctx, { defaults }, option, 'ERR_SPILLWAY_POLICY_OPTION_NOT_SHARED')
      }
      await expectConfigError(
        ctx,
        { defaults: { standardHeaders: 'draft-7' as never } },
        'standardHeaders',
        'ERR_SPILLWAY_INVALID_OPTION',
      )
    },
  },
]
