// Conformance scenarios — maxWait: a request whose tokens come soon is held, not rejected; one whose client leaves is refunded.
import { createLimiter } from '@spillway/core'
import { expect } from 'vitest'
import { hit, hitAndAbort, parseListField, sleep, withApp } from '../app-factory.js'
import type { Scenario } from './kit.js'

/** One token every 200 ms. */
const INTERVAL_MS = 200

export const waitsScenarios: readonly Scenario[] = [
  {
    id: 'max-wait-holds',
    name: 'MUST hold a request whose tokens come within maxWait, answer it no sooner, and reject past maxWait',
    run: (ctx) =>
      withApp(
        ctx,
        { global: { capacity: 1, refillRate: 1000 / INTERVAL_MS, maxWait: 3 * INTERVAL_MS, store: ctx.store() } },
        async (app) => {
          const startedMs = performance.now()
          expect((await hit(app)).status).toBe(200)
          const replies = await Promise.all(
            Array.from({ length: 8 }, async () => {
              const reply = await hit(app)
              return {
                status: reply.status,
                afterMs: performance.now() - startedMs,
                retryAfter: reply.headers.get('retry-after'),
              }
            }),
          )
          const held = replies.filter(({ status }) => status === 200).map(({ afterMs }) => afterMs)
          held.sort((a, b) => a - b)
          // Held ones go on one token apart: the k-th no sooner than k intervals after the first request.
          expect(held.length).toBeGreaterThanOrEqual(3)
          for (const [k, afterMs] of held.entries()) expect(afterMs).toBeGreaterThanOrEqual((k + 1) * INTERVAL_MS - 5)
          // Eight cannot all be served within 600 ms of credit: the rest are rejected, with Retry-After.
          const rejected = replies.filter(({ status }) => status === 429)
          expect(rejected.length).toBeGreaterThanOrEqual(1)
          expect(rejected.every(({ retryAfter }) => Number(retryAfter) >= 1)).toBe(true)
        },
      ),
  },
  {
    id: 'max-wait-not-in-a-stack',
    name: 'MUST NOT hold a request whose policies are decided together (all-or-nothing): it is rejected at once',
    run: (ctx) => {
      const store = ctx.store()
      const spec = {
        global: { name: 'global', capacity: 10, refillRate: { tokens: 1, per: '1m' }, store },
        routes: {
          '/login': { name: 'login', capacity: 1, refillRate: { tokens: 1, per: '10s' }, maxWait: '15s', store },
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect((await hit(app, '/login')).status).toBe(200)
        // Alone, the login policy would hold this one ~10 s; stacked on the app-wide policy it is rejected now.
        const startedMs = performance.now()
        const rejected = await hit(app, '/login')
        expect(rejected.status).toBe(429)
        expect(performance.now() - startedMs).toBeLessThan(5_000)
        expect(rejected.json()['violated-policies']).toEqual(['login'])
        // All-or-nothing: the rejected request kept no app-wide token.
        const global = parseListField(rejected.headers.get('ratelimit')).find((item) => item.value === 'global')
        expect(global?.params.r).toBe(9)
      })
    },
  },
  {
    id: 'max-wait-client-leaves',
    name: 'MUST give back the tokens of a request held by maxWait whose client went away',
    run: (ctx) => {
      const store = ctx.store()
      const policy = { name: 'held', capacity: 1, refillRate: { tokens: 1, per: '10s' }, maxWait: '15s' } as const
      const peek = createLimiter({ ...policy, store })
      return withApp(ctx, { global: { ...policy, store } }, async (app) => {
        expect((await hit(app)).status).toBe(200)
        await hitAndAbort(app, '/', 150) // held for ~10 s: it owes the next token
        // Held, it owed two tokens (reset ≈ 20 s); gone, one (≈ 10 s). Polled: a loaded machine may be slow.
        let resetMs = Number.POSITIVE_INFINITY
        for (let i = 0; i < 40 && resetMs > 10_000; i++) {
          await sleep(50)
          resetMs = (await peek.peek('127.0.0.1')).resetMs
        }
        expect(resetMs).toBeLessThanOrEqual(10_000)
        expect(resetMs).toBeGreaterThan(7_000)
      })
    },
  },
]
