// Conformance scenarios — blockDuration over HTTP: a rejected client stays rejected, Retry-After tells until when.
import { expect } from 'vitest'
import { hit, sleep, statuses, withApp } from '../app-factory.js'
import type { Scenario } from './kit.js'

export const blocksScenarios: readonly Scenario[] = [
  {
    id: 'block-duration',
    name: 'MUST keep a rejected client rejected for blockDuration, even once its bucket refilled, with Retry-After the remaining block',
    run: (ctx) =>
      // Two tokens a second: the bucket is full again 1 s after it empties, long before the block ends, and
      // the three requests below need only come within 500 ms (at ten a second they had to within 100 ms).
      withApp(ctx, { global: { capacity: 2, refillRate: 2, blockDuration: '4s', store: ctx.store() } }, async (app) => {
        expect(await statuses(app, 2)).toEqual([200, 200])
        const rejected = await hit(app)
        expect([rejected.status, rejected.headers.get('retry-after')]).toEqual([429, '4'])
        await sleep(1100)
        const still = await hit(app)
        expect(still.status).toBe(429)
        expect(['2', '3']).toContain(still.headers.get('retry-after'))
        expect((await hit(app, '/', { 'x-other': '1' })).status).toBe(429) // same client address, same block
      }),
  },
  {
    id: 'block-escalation',
    name: 'MUST make each new block of a client longer by the factor, never beyond max, and admit a client that waits Retry-After',
    run: (ctx) => {
      const blockDuration = { initial: '1s', max: '2s', factor: 2 }
      // Two tokens a second: each round's second request must come within 500 ms to be rejected (100 ms at
      // ten a second), and the bucket is full again before the shortest block ends.
      const global = { capacity: 1, refillRate: 2, blockDuration, store: ctx.store() }
      return withApp(ctx, { global }, async (app) => {
        const retryAfters: (string | null)[] = []
        for (let round = 0; round < 3; round++) {
          expect((await hit(app)).status).toBe(200)
          const rejected = await hit(app)
          expect(rejected.status).toBe(429)
          retryAfters.push(rejected.headers.get('retry-after'))
          await sleep(Number(rejected.headers.get('retry-after')) * 1000 + 50)
        }
        expect(retryAfters).toEqual(['1', '2', '2'])
      })
    },
  },
]
