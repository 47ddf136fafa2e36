// Outage: the local share starts from what is left of the lease, leases come back within one interval, nothing is sent twice.
import type { StepResult } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { HybridStore, RedisStore } from '@spillway/redis'
import { afterAll, describe, expect, it } from 'vitest'
import { decide } from '../harness/decide.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'

const SYNC_INTERVAL_MS = 1000
const TIMEOUT_MS = 100
// B = 100, R = 1/s: refill during the test is a token or two, so counts are exact up to that.
const policy = createPolicy({ name: 'outage', capacity: 100, refillRate: 1 })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const redis = useRedisServer()

afterAll(() => {
  redis.server.resume() // a test may leave it paused; the fixture stops it next
})

function consumeMany(store: HybridStore, key: string, count: number): Promise<StepResult[]> {
  return Promise.all(Array.from({ length: count }, () => store.consume(storeKey(policy.name, key), policy, 1)))
}

describe('HybridStore during a Redis outage (SIGSTOP) and after', () => {
  it('decides on the local share from what is left of the lease, returns to leases within one interval, sends nothing twice', async () => {
    const prefix = randomKeyPrefix('outage')
    const errors: unknown[] = []
    const store = new HybridStore({
      client: redis.client,
      prefix,
      syncIntervalMs: SYNC_INTERVAL_MS,
      timeoutMs: TIMEOUT_MS,
      onError: (e) => errors.push(e),
    })
    try {
      // Two leases on key A: 20 (all spent), then 25 for a demand of 5: 20 tokens left, all from Redis.
      expect((await consumeMany(store, 'A', 20)).every((s) => s.allowed && !s.fallbackPolicy)).toBe(true)
      expect((await consumeMany(store, 'A', 5)).every((s) => s.allowed && !s.fallbackPolicy)).toBe(true)

      redis.server.pause()
      // A cold key needs Redis: the call exceeds its budget and the store falls back.
      const cold = await store.consume(storeKey(policy.name, 'B'), policy, 1)
      expect(cold.fallbackPolicy).toBeDefined()
      expect(errors.length).toBeGreaterThan(0)

      // Key A now spends its 20 leftover tokens on the share (N = 1: the whole policy), not a full bucket of 100.
      const during = await consumeMany(store, 'A', 60)
      expect(during.every((s) => s.fallbackPolicy !== undefined)).toBe(true)
      const admittedDuring = during.filter((s) => s.allowed).length
      console.info(
        `outage: key A admitted ${admittedDuring} of 60 on the local share (20 left of its lease; full would be 100)`,
      )
      expect(admittedDuring).toBeGreaterThanOrEqual(20)
      expect(admittedDuring).toBeLessThanOrEqual(21)

      redis.server.resume()
      const resumedAt = performance.now()
      let back: StepResult | undefined
      while (performance.now() - resumedAt < 3 * SYNC_INTERVAL_MS) {
        back = await store.consume(storeKey(policy.name, `C-${Math.round(performance.now())}`), policy, 1)
        if (back.fallbackPolicy === undefined) break
        await sleep(50)
      }
      const backAfterMs = performance.now() - resumedAt
      console.info(`outage: back to leases ${Math.round(backAfterMs)} ms after Redis answered again`)
      expect(back?.fallbackPolicy).toBeUndefined()
      expect(backAfterMs).toBeLessThanOrEqual(SYNC_INTERVAL_MS + 2 * TIMEOUT_MS + 200)
    } finally {
      await store.close()
    }
    // Redis holds exactly the 45 tokens leased on A: neither the 20 spent in the outage replayed nor returned.
    const redisStore = new RedisStore({ client: redis.client, prefix })
    const after = await decide(redisStore, 'A', policy, 1)
    console.info(
      `outage: a RedisStore on the same prefix sees ${after.remaining} left on A after taking 1 (100 − 45 − 1 + refill)`,
    )
    expect(after.remaining).toBeGreaterThanOrEqual(54)
    expect(after.remaining).toBeLessThanOrEqual(54 + 6)
  })

  it('close() returns unspent tokens, once', async () => {
    const prefix = randomKeyPrefix('close')
    const store = new HybridStore({ client: redis.client, prefix, syncIntervalMs: SYNC_INTERVAL_MS })
    await consumeMany(store, 'A', 10) // lease of 10, all spent
    await consumeMany(store, 'A', 5) // lease of 15 for 5: 10 unspent
    await store.close()
    await store.close()
    const after = await decide(new RedisStore({ client: redis.client, prefix }), 'A', policy, 1)
    // 15 spent in all: 100 − 15 − 1 = 84 (+ refill), not 74 (nothing returned) nor more (returned twice).
    expect(after.remaining).toBeGreaterThanOrEqual(84)
    expect(after.remaining).toBeLessThanOrEqual(86)
  })
})
