// A lease is spent only within L of its request: after that its leftover goes back to Redis at the next sync, once.
import { createPolicy, storeKey } from '@spillway/core/store'
import { HybridStore, RedisStore } from '@spillway/redis'
import { describe, expect, it } from 'vitest'
import { decide } from '../harness/decide.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'

const SYNC_INTERVAL_MS = 200
const policy = createPolicy({ name: 'life', capacity: 100, refillRate: 1 })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const redis = useRedisServer()

describe(`lease lifetime L = syncIntervalMs = ${SYNC_INTERVAL_MS} ms`, () => {
  it('an expired lease’s leftover goes back to Redis at the next sync, once (and is no longer held)', async () => {
    const prefix = randomKeyPrefix('life')
    const store = new HybridStore({ client: redis.client, prefix, syncIntervalMs: SYNC_INTERVAL_MS })
    const key = storeKey(policy.name, 'A')
    const many = (n: number) => Promise.all(Array.from({ length: n }, () => store.consume(key, policy, 1)))
    try {
      await many(10) // a lease of 10, all spent
      await many(5) // a lease of 15 for 5: 10 held
      // Expired L after its request, returned by the next sync: at most 2 L after it, plus a late timer and a
      // round trip (2.5 L left 100 ms for those). The later syncs must not return it again.
      await sleep(3.5 * SYNC_INTERVAL_MS)
      const reader = new RedisStore({ client: redis.client, prefix })
      // 15 tokens spent in all: 100 − 15 − 1 = 84 left (+ ~1 refilled), not 74 (the 10 still held).
      const seen = await decide(reader, 'A', policy, 1)
      expect(seen.remaining).toBeGreaterThanOrEqual(84)
      expect(seen.remaining).toBeLessThanOrEqual(85)
    } finally {
      await store.close()
    }
    // close() had nothing more to return: the expired 10 were returned once, at the sync.
    const after = await decide(new RedisStore({ client: redis.client, prefix }), 'A', policy, 1)
    expect(after.remaining).toBeGreaterThanOrEqual(83)
    expect(after.remaining).toBeLessThanOrEqual(84)
  })
})
