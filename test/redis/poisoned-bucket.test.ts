// A bucket key overwritten with another type or a string that is no tat: the next decision empties it, with a TTL.
import { createPolicy, storeKey } from '@spillway/core/store'
import { RedisStore } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decide, decideAll } from '../harness/decide.js'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'

let server: RedisServer
let client: Redis
let store: RedisStore

beforeAll(async () => {
  server = await startRedisServer()
  client = await connectLimiterClient(server.port)
  store = new RedisStore({ client, prefix: randomKeyPrefix('poison') })
})

afterAll(async () => {
  client?.disconnect()
  await server?.stop()
})

// 5 s per token, τ 10 s: nothing refills during a test, however loaded the machine.
const policy = createPolicy({ name: 'poison', capacity: 2, refillRate: 0.2 })

async function redisNowUs(): Promise<number> {
  const [seconds, micros] = (await client.time()) as [number | string, number | string]
  return Number(seconds) * 1e6 + Number(micros)
}

/** Ways a key can hold something the script never wrote, each left without a TTL. */
const poisons: ReadonlyArray<[string, (key: string) => Promise<unknown>]> = [
  ['a list', (key) => client.lpush(key, 'x')],
  ['a hash', (key) => client.hset(key, 'field', '1')],
  ['a set', (key) => client.sadd(key, 'x')],
  ['a sorted set', (key) => client.zadd(key, 1, 'x')],
  ['a stream', (key) => client.xadd(key, '*', 'field', '1')],
  ...['nan', 'abc', '', '1.5', '-5', 'inf', '1e400', ' 12', '0x10'].map(
    (value): [string, (key: string) => Promise<unknown>] => [`the string '${value}'`, (key) => client.set(key, value)],
  ),
]

describe('a poisoned bucket key', () => {
  it.each(poisons)('holding %s: rejected as an empty bucket, rewritten with a TTL, then refills', async (_, poison) => {
    const id = `id-${randomKeyPrefix()}`
    const key = store.redisKey(storeKey(policy.name, id))
    await poison(key)
    expect(await client.pttl(key)).toBe(-1)

    const beforeUs = await redisNowUs()
    const rejected = await decide(store, id, policy, 1)
    const afterUs = await redisNowUs()
    expect(rejected).toMatchObject({ allowed: false, remaining: 0 })
    expect(rejected.retryAfterMs).toBeGreaterThan(4000)
    expect(rejected.retryAfterMs).toBeLessThanOrEqual(5000)
    expect(await client.type(key)).toBe('string')
    // Rewritten as an empty bucket on Redis's clock: tat = now + τ, refilling from now at the normal rate.
    const tatUs = Number(await client.get(key))
    expect(await client.get(key)).toMatch(/^\d{16}$/)
    expect(tatUs).toBeGreaterThanOrEqual(beforeUs + policy.burstUs)
    expect(tatUs).toBeLessThanOrEqual(afterUs + policy.burstUs)
    const ttlMs = await client.pttl(key)
    expect(ttlMs).toBeGreaterThan(9000)
    expect(ttlMs).toBeLessThanOrEqual(10_001)
    // Once that time has passed (seeded, not waited for), exactly B are admitted again.
    await client.set(key, String((await redisNowUs()) - 1))
    const burst = await decideAll(
      store,
      [1, 2, 3].map(() => ({ key: id, policy, cost: 1 })),
    )
    expect(burst.map((d) => d.allowed)).toEqual([true, true, false])
  })

  it('is repaired among concurrent decisions, without failing the others', async () => {
    const id = `id-${randomKeyPrefix()}`
    await client.hset(store.redisKey(storeKey(policy.name, id)), 'field', '1')
    const decisions = await decideAll(store, [
      { key: id, policy, cost: 1 },
      { key: `${id}-clean`, policy, cost: 1 },
    ])
    expect(decisions.map((d) => d.allowed)).toEqual([false, true])
    expect(await client.pttl(store.redisKey(storeKey(policy.name, id)))).toBeGreaterThan(0)
  })

  it('holding digits far beyond now + τ: clamped to an empty bucket (the backward-clock rule), with a TTL', async () => {
    const id = `id-${randomKeyPrefix()}`
    const key = store.redisKey(storeKey(policy.name, id))
    await client.set(key, '9'.repeat(400)) // parses as +inf in Lua
    const rejected = await decide(store, id, policy, 1)
    expect(rejected).toMatchObject({ allowed: false, remaining: 0 })
    expect(rejected.retryAfterMs).toBeLessThanOrEqual(5000)
    expect(await client.get(key)).toMatch(/^\d{16}$/)
    expect(Number(await client.get(key)) - (await redisNowUs())).toBeLessThanOrEqual(policy.burstUs)
    expect(await client.pttl(key)).toBeGreaterThan(0)
  })
})
