// A flood of distinct keys through each adapter on Redis: each key costs ~one small string, and all expire.
import { RedisStore } from '@spillway/redis'
import { describe, expect, it } from 'vitest'
import { hit, sleep } from '../conformance/app-factory.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { ADAPTERS } from './failover-kit.js'

const KEYS_PER_ADAPTER = 600

const redis = useRedisServer()

const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.client.info('memory'))?.[1])

describe('a flood of distinct keys on Redis', () => {
  it.each(ADAPTERS.map((app) => [app.name, app] as const))(
    '%s: one bucket key per redis.client, each with a TTL, none left once the buckets are full again',
    async (_name, factory) => {
      const prefix = `flood-${factory.name}:`
      const store = new RedisStore({ client: redis.client, prefix, heartbeat: false })
      // Capacity 2, one token per 6 s: a bucket that took one token is full (and its key gone) 6 s later, so
      // even a slow flood on a loaded machine finds all its keys still there.
      const key = (request: unknown) => factory.headerOf(request, 'x-redis.client')
      // Every decision on Redis (no local fallback on a slow answer): this test counts the keys Redis holds.
      const policy = { capacity: 2, refillRate: { tokens: 1, per: '6s' }, store, key, onStoreError: 'error' as const }
      const app = await factory.build({ global: policy })
      try {
        const before = await usedMemory()
        for (let start = 0; start < KEYS_PER_ADAPTER; start += 50) {
          const batch = Array.from({ length: 50 }, (_, i) =>
            hit(app, '/', { 'x-redis.client': `redis.client-${start + i}` }),
          )
          expect((await Promise.all(batch)).map((r) => r.status)).toEqual(Array(50).fill(200))
        }
        const keys = await redis.client.keys(`${prefix}*`)
        const bytesPerKey = ((await usedMemory()) - before) / keys.length
        console.log(`[key-flood] ${factory.name}: ${keys.length} keys, ~${bytesPerKey.toFixed(0)} B each (used_memory)`)
        expect(keys.length).toBe(KEYS_PER_ADAPTER)
        const ttls = await Promise.all(keys.slice(0, 20).map((k) => redis.client.pttl(k)))
        for (const ttl of ttls) expect(ttl).toBeGreaterThan(0)
        // Expired keys leave within Redis's expiry cycle: poll a little past the TTL.
        const deadline = Date.now() + 9000
        let left = await redis.client.keys(`${prefix}*`)
        while (left.length > 0 && Date.now() < deadline) {
          await sleep(250)
          left = await redis.client.keys(`${prefix}*`)
        }
        expect(left).toEqual([])
      } finally {
        await app.close()
      }
    },
    30_000,
  )
})
