// Conformance scenarios — Failures: key functions and stores that fail, and bad options at construction.
import { expect } from 'vitest'
import { type AppSpec, hit, type PolicySpec, statuses, withApp } from '../app-factory.js'
import { expectConfigError, PROBLEM_TYPES, raise, type Scenario, slow } from './kit.js'

export const failuresScenarios: readonly Scenario[] = [
  {
    id: 'key-error-default',
    name: "MUST pass a key function's throw or rejection to the framework's error handler (500, no hang)",
    run: (ctx) => {
      const stages: string[] = []
      const onError = (_error: unknown, { stage }: { stage: string }) => stages.push(stage)
      const spec = {
        routes: {
          '/throws': slow(ctx, 5, { onError, key: () => raise('key broke') }),
          '/rejects': slow(ctx, 5, { onError, key: async () => raise('key broke') }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect((await hit(app, '/throws')).status).toBe(500)
        expect((await hit(app, '/rejects')).status).toBe(500)
        expect(stages).toEqual(['key', 'key'])
        expect((await hit(app, '/')).status).toBe(200)
      })
    },
  },
  {
    id: 'key-error-modes',
    name: "MUST let the request through with onCallbackError: 'allow' and answer 503 with 'deny'",
    run: (ctx) => {
      const key = () => raise('key broke')
      const spec = {
        routes: {
          '/allow': slow(ctx, 5, { key, onCallbackError: 'allow' }),
          '/deny': slow(ctx, 5, { key, onCallbackError: 'deny' }),
        },
      } satisfies AppSpec
      return withApp(ctx, spec, async (app) => {
        const allowed = await hit(app, '/allow')
        expect(allowed.status).toBe(200)
        expect(allowed.headers.get('ratelimit')).toBeNull()
        const denied = await hit(app, '/deny')
        expect(denied.status).toBe(503)
        expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/)
        expect(denied.json().type).toBe(`${PROBLEM_TYPES}#temporary-reduced-capacity`)
      })
    },
  },
  {
    id: 'store-error',
    name: "MUST let requests through when the store fails (default), report it to onError, pass it on with 'error', 503 with 'deny'",
    run: (ctx) => {
      const stages: string[] = []
      const onError = (_error: unknown, { stage }: { stage: string }) => stages.push(stage)
      const broken = { name: 'broken', consume: () => Promise.reject(new Error('store down')) }
      const policy = (extra: Partial<PolicySpec>) => ({ capacity: 1, refillRate: 1, store: broken, ...extra })
      const spec = {
        routes: {
          '/allow': policy({ onError }),
          '/error': policy({ onStoreError: 'error' }),
          '/deny': policy({ onStoreError: 'deny' }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect(await statuses(app, 3, '/allow')).toEqual([200, 200, 200])
        expect(stages).toEqual(['store', 'store', 'store'])
        expect((await hit(app, '/error')).status).toBe(500)
        expect((await hit(app, '/deny')).status).toBe(503)
      })
    },
  },
  {
    id: 'config-errors',
    name: 'MUST throw SpillwayConfigError at construction for bad options, naming the option',
    run: async (ctx) => {
      await expectConfigError(
        ctx,
        { global: { capacity: -1, refillRate: 1 } },
        'capacity',
        'ERR_SPILLWAY_INVALID_OPTION',
      )
      const badRoute = { routes: { '/login': { capacity: 0, refillRate: 1 } } }
      await expectConfigError(ctx, badRoute, 'capacity', 'ERR_SPILLWAY_INVALID_OPTION')
      const unknown = { global: { capacity: 5, refillRate: 1, max: 5 } as PolicySpec }
      await expectConfigError(ctx, unknown, 'max', 'ERR_SPILLWAY_UNKNOWN_OPTION')
      const handler = { global: { capacity: 5, refillRate: 1, handler: 'nope' } as unknown as PolicySpec }
      await expectConfigError(ctx, handler, 'handler', 'ERR_SPILLWAY_INVALID_OPTION')
    },
  },
  {
    id: 'no-internals-leak',
    name: 'MUST NOT show a client the text of a failing key function or store, in any NODE_ENV',
    run: (ctx) => {
      const secret = 'db-internal.example:5432 NOSCRIPT 3f2a9c'
      const broken = { name: 'broken', consume: () => Promise.reject(new Error(secret)) }
      const spec = {
        routes: {
          '/key': slow(ctx, 5, { key: () => raise(secret) }),
          '/store': { capacity: 1, refillRate: 1, store: broken, onStoreError: 'error' },
        },
      } satisfies AppSpec
      return withApp(ctx, spec, async (app) => {
        for (const path of ['/key', '/store']) {
          const reply = await hit(app, path)
          expect(reply.status).toBe(500)
          expect(reply.text).not.toContain('db-internal')
          expect(reply.text).not.toContain('3f2a9c')
        }
      })
    },
  },
  {
    id: 'hanging-key-function',
    name: 'MUST NOT hang a request whose key function never settles: the failure mode applies after callbackTimeoutMs',
    run: (ctx) => {
      const never = () => new Promise<string>(() => {})
      const spec = {
        routes: {
          '/allow': slow(ctx, 5, { key: never, callbackTimeoutMs: 100, onCallbackError: 'allow' }),
          '/deny': slow(ctx, 5, { key: never, callbackTimeoutMs: 100, onCallbackError: 'deny' }),
        },
      } satisfies AppSpec
      return withApp(ctx, spec, async (app) => {
        expect((await hit(app, '/allow')).status).toBe(200)
        expect((await hit(app, '/deny')).status).toBe(503)
      })
    },
  },
]
