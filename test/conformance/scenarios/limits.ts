// Conformance scenarios — Buckets over HTTP: bursts, refills, Retry-After and costs.
import { expect } from 'vitest'
import { type EchoBody, hit, sleep, sleepAtLeast, statuses, withApp } from '../app-factory.js'
import { type Scenario, slow } from './kit.js'

export const limitsScenarios: readonly Scenario[] = [
  {
    id: 'burst-then-reject',
    name: 'MUST admit a burst of B requests, then answer 429 with Retry-After until a token refills',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5) }, async (app) => {
        const remaining: unknown[] = []
        for (let i = 0; i < 5; i++) remaining.push((await hit(app)).json<EchoBody>().remaining)
        expect(remaining).toEqual([4, 3, 2, 1, 0])
        const rejected = await hit(app)
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toBe('12')
      }),
  },
  {
    id: 'concurrent-burst',
    name: 'MUST admit exactly B of many concurrent requests',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5) }, async (app) => {
        const replies = await Promise.all(Array.from({ length: 20 }, () => hit(app)))
        const counts = replies.map((r) => r.status).sort()
        expect(counts).toEqual([...Array(5).fill(200), ...Array(15).fill(429)])
      }),
  },
  {
    id: 'refill',
    name: 'MUST admit again once tokens have refilled',
    run: (ctx) =>
      // One token per 500 ms: three requests fit in that window even on a loaded machine.
      withApp(ctx, { global: { capacity: 2, refillRate: 2, store: ctx.store() } }, async (app) => {
        expect(await statuses(app, 3)).toEqual([200, 200, 429])
        await sleep(600)
        expect((await hit(app)).status).toBe(200)
      }),
  },
  {
    id: 'retry-after',
    name: 'MUST send Retry-After in whole seconds ≥ 1, and admit a client that waits that long',
    run: (ctx) =>
      withApp(ctx, { global: { capacity: 1, refillRate: 1, store: ctx.store() } }, async (app) => {
        expect((await hit(app)).status).toBe(200)
        const rejected = await hit(app)
        expect(rejected.status).toBe(429)
        const retryAfter = rejected.headers.get('retry-after') ?? ''
        expect(retryAfter).toMatch(/^[1-9]\d*$/)
        expect(Number(retryAfter)).toBe(1)
        // From the 429, at least that long and no margin added (a plain timer may fire a millisecond early).
        await sleepAtLeast(Number(retryAfter) * 1000)
        expect((await hit(app)).status).toBe(200)
      }),
  },
  {
    id: 'cost-function',
    name: 'MUST take as many tokens as the cost function returns',
    run: (ctx) => {
      const cost = (request: unknown) => Number(ctx.app.headerOf(request, 'x-cost') ?? 1)
      return withApp(ctx, { global: slow(ctx, 5, { cost }) }, async (app) => {
        const first = await hit(app, '/', { 'x-cost': '3' })
        expect([first.status, first.json<EchoBody>().remaining]).toEqual([200, 2])
        const rejected = await hit(app, '/', { 'x-cost': '3' })
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
        const last = await hit(app, '/', { 'x-cost': '2' })
        expect([last.status, last.json<EchoBody>().remaining]).toEqual([200, 0])
      })
    },
  },
  {
    id: 'cost-over-capacity',
    name: 'MUST reject a cost above capacity with 429 and no Retry-After, taking nothing',
    run: (ctx) => {
      const cost = (request: unknown) => Number(ctx.app.headerOf(request, 'x-cost') ?? 1)
      return withApp(ctx, { global: slow(ctx, 5, { cost }) }, async (app) => {
        const rejected = await hit(app, '/', { 'x-cost': '6' })
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toBeNull()
        expect(rejected.json().detail).toContain('more than the limit of 5')
        expect((await hit(app)).json<EchoBody>().remaining).toBe(4)
      })
    },
  },
]
