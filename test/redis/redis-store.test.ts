// RedisStore specifics on a private redis-server: options, key layout, expiry, NOSCRIPT, clock jumps, memory.
import { createLimiter, SpillwayConfigError } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { RedisStore, type RedisStoreOptions } from '@spillway/redis'
import { Redis } from 'ioredis'
import { beforeEach, describe, expect, it } from 'vitest'
import { commandCalls } from '../harness/command-stats.js'
import { decide, decideAll } from '../harness/decide.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const redis = useRedisServer()
let store: RedisStore
let prefix: string

beforeEach(() => {
  prefix = randomKeyPrefix('store')
  // No heartbeat: these tests count the keys and commands a decision leaves.
  store = new RedisStore({ client: redis.client, prefix, heartbeat: false })
})

async function redisNowUs(): Promise<number> {
  const [seconds, micros] = (await redis.client.time()) as [number | string, number | string]
  return Number(seconds) * 1e6 + Number(micros)
}

describe('RedisStore options', () => {
  const configError = (options: unknown) => {
    try {
      new RedisStore(options as RedisStoreOptions)
    } catch (error) {
      expect(error).toBeInstanceOf(SpillwayConfigError)
      return error as SpillwayConfigError
    }
    return expect.fail('expected a SpillwayConfigError')
  }

  it('rejects a missing redis.client, a non-redis.client, an unknown option and a prefix with braces', () => {
    expect(configError({})).toMatchObject({ code: 'ERR_SPILLWAY_MISSING_OPTION', option: 'RedisStore.client' })
    expect(configError({ client: {} })).toMatchObject({ code: 'ERR_SPILLWAY_INVALID_OPTION' })
    expect(configError({ client: redis.client, prefx: 'x:' })).toMatchObject({
      code: 'ERR_SPILLWAY_UNKNOWN_OPTION',
      option: 'RedisStore.prefx',
    })
    expect(configError({ client: redis.client, prefix: 'app:{x}:' })).toMatchObject({ option: 'RedisStore.prefix' })
    expect(configError({ client: redis.client, prefix: 7 })).toMatchObject({ option: 'RedisStore.prefix' })
    expect(configError(null)).toMatchObject({ code: 'ERR_SPILLWAY_INVALID_OPTION' })
  })

  it('defaults the prefix to spillway:', () => {
    expect(new RedisStore({ client: redis.client }).prefix).toBe('spillway:')
  })

  it('warns once about a redis.client that could replay decisions, and not about a safe one', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const risky = new Redis(redis.server.port, '127.0.0.1', { lazyConnect: true })
    new RedisStore({ client: risky })
    new RedisStore({ client: risky })
    new RedisStore({ client: redis.client })
    await sleep(10)
    process.off('warning', onWarning)
    risky.disconnect()
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual(['SPILLWAY_REDIS_REPLAY'])
    expect(warnings[0]?.message).toContain('enableOfflineQueue')
  })

  it('knows two stores on one redis.client and prefix share buckets: a second policy under a used name is an error', () => {
    const prefix = randomKeyPrefix('shared')
    const first = new RedisStore({ client: redis.client, prefix })
    const second = new RedisStore({ client: redis.client, prefix })
    expect(second.keySpace).toBe(first.keySpace)
    expect(new RedisStore({ client: redis.client, prefix: `${prefix}other:` }).keySpace).not.toBe(first.keySpace)
    createLimiter({ capacity: 100, refillRate: 10, store: first })
    let error: unknown
    try {
      createLimiter({ capacity: 5, refillRate: 1, store: second })
    } catch (caught) {
      error = caught
    }
    expect(error).toMatchObject({ code: 'ERR_SPILLWAY_DUPLICATE_POLICY', option: 'name', value: 'default' })
    expect(() => createLimiter({ capacity: 100, refillRate: 10, store: second })).not.toThrow()
  })

  it('close() leaves the caller’s redis.client open', async () => {
    await store.close()
    expect(await redis.client.ping()).toBe('PONG')
  })
})

describe('RedisStore key layout and expiry', () => {
  it('writes <prefix><policy>:{<key>}, the redis.client key as the hash tag', async () => {
    const login = createPolicy({ name: 'login', capacity: 5, refillRate: 1 })
    const api = createPolicy({ name: 'api', capacity: 5, refillRate: 1 })
    await decide(store, '203.0.113.7', login, 1)
    await decide(store, '203.0.113.7', api, 1)
    await decide(store, 'user:42', api, 1)
    const [, keys] = await redis.client.scan(0, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    expect(keys.sort()).toEqual(
      [`${prefix}api:{203.0.113.7}`, `${prefix}api:{user:42}`, `${prefix}login:{203.0.113.7}`].sort(),
    )
    expect(store.redisKey(storeKey(login.name, '203.0.113.7'))).toBe(`${prefix}login:{203.0.113.7}`)
  })

  it('expires a key once its bucket would be full: 0 < PTTL ≤ debt + 1 ms', async () => {
    // 1 s per token, τ 4 s: the key cannot expire between a decision and the PTTL that reads it.
    const policy = createPolicy({ name: 'ttl', capacity: 4, refillRate: 1 })
    const key = store.redisKey(storeKey(policy.name, 'k'))
    // Redis TIME moves on between the calls: the TTL read is short by at most the time seen here since.
    const startedMs = performance.now()
    const elapsedMs = () => Math.ceil(performance.now() - startedMs)
    await decide(store, 'k', policy, 1)
    const afterOne = await redis.client.pttl(key)
    expect(afterOne).toBeLessThanOrEqual(1001)
    expect(afterOne).toBeGreaterThanOrEqual(1001 - elapsedMs())
    await decide(store, 'k', policy, 3)
    const afterAll = await redis.client.pttl(key)
    expect(afterAll).toBeLessThanOrEqual(4001)
    expect(afterAll).toBeGreaterThanOrEqual(4000 - elapsedMs())
  })

  it('uses under 128 bytes of Redis memory per bucket key (MEMORY USAGE, default prefix, IPv4 key)', async () => {
    const defaultStore = new RedisStore({ client: redis.client, heartbeat: false })
    const policy = createPolicy({ capacity: 100, refillRate: 1 })
    const key = defaultStore.redisKey(storeKey(policy.name, '203.0.113.7'))
    await decide(defaultStore, '203.0.113.7', policy, 1)
    const bytes = Number(await redis.client.call('MEMORY', 'USAGE', key))
    const encoding = await redis.client.object('ENCODING', key)
    await redis.client.del(key)
    console.info(`MEMORY USAGE ${key}: ${bytes} bytes (value encoding: ${encoding})`)
    expect(encoding).toBe('int') // tat is stored as a plain integer string, never 1.8e+15
    expect(bytes).toBeGreaterThan(0)
    expect(bytes).toBeLessThanOrEqual(128)
  })
})

describe('RedisStore NOSCRIPT handling', () => {
  const policy = createPolicy({ name: 'noscript', capacity: 3, refillRate: 1 })

  it('reloads the script exactly once after SCRIPT FLUSH, and decisions go on', async () => {
    const counting = createPolicy({ name: 'noscript-count', capacity: 10, refillRate: 1 })
    expect((await decide(store, 'k', counting, 1)).remaining).toBe(9)
    for (const remainingAfterReload of [8, 6]) {
      await redis.client.script('FLUSH')
      await redis.client.config('RESETSTAT')
      expect((await decide(store, 'k', counting, 1)).remaining).toBe(remainingAfterReload)
      expect(await commandCalls(redis.client, 'eval')).toBe(1)
      // Cached again: the next call is a plain EVALSHA. Each call was applied exactly once.
      expect((await decide(store, 'k', counting, 1)).remaining).toBe(remainingAfterReload - 1)
      expect(await commandCalls(redis.client, 'eval')).toBe(1)
      expect(await commandCalls(redis.client, 'evalsha')).toBe(2)
    }
  })

  it('reloads once for a whole batch (one EVAL), each request applied once', async () => {
    await redis.client.script('FLUSH')
    await redis.client.config('RESETSTAT')
    const decisions = await decideAll(store, [
      { key: 'a', policy, cost: 2 },
      { key: 'a', policy, cost: 2 },
      { key: 'b', policy, cost: 3 },
    ])
    expect(decisions.map((d) => d.allowed)).toEqual([true, false, true])
    expect([await commandCalls(redis.client, 'evalsha'), await commandCalls(redis.client, 'eval')]).toEqual([1, 1])
    expect((await decide(store, 'a', policy, 1)).remaining).toBe(0)
  })

  it('with batch: false reloads per call, each request applied once', async () => {
    const unbatched = new RedisStore({ client: redis.client, prefix, batch: false, heartbeat: false })
    await redis.client.script('FLUSH')
    await redis.client.config('RESETSTAT')
    const decisions = await decideAll(unbatched, [
      { key: 'a', policy, cost: 2 },
      { key: 'a', policy, cost: 2 },
      { key: 'b', policy, cost: 3 },
    ])
    expect(decisions.map((d) => d.allowed)).toEqual([true, false, true])
    expect([await commandCalls(redis.client, 'evalsha'), await commandCalls(redis.client, 'eval')]).toEqual([3, 3])
    expect((await decide(unbatched, 'a', policy, 1)).remaining).toBe(0)
  })

  it('does not retry other errors', async () => {
    await redis.client.config('SET', 'maxmemory', '1') // every write is now refused with OOM
    await redis.client.config('RESETSTAT')
    try {
      await expect(decide(store, 'oom', policy, 1)).rejects.toThrow(/OOM/)
    } finally {
      await redis.client.config('SET', 'maxmemory', '0')
    }
    expect(await commandCalls(redis.client, 'eval')).toBe(0)
    expect((await decide(store, 'oom', policy, 1)).allowed).toBe(true)
  })
})

describe('RedisStore clock policy (Redis TIME)', () => {
  // 5 s per token, τ 10 s: nothing refills between two calls, however loaded the machine.
  const policy = createPolicy({ name: 'clock', capacity: 2, refillRate: 0.2 })

  it('after a backward jump (tat an hour ahead) rejects, then refills at the normal rate', async () => {
    const key = store.redisKey(storeKey(policy.name, 'k'))
    await redis.client.set(key, String((await redisNowUs()) + 3_600_000_000))
    const rejected = await decide(store, 'k', policy, 1)
    expect(rejected.allowed).toBe(false)
    expect(rejected.retryAfterMs).toBeLessThanOrEqual(5000)
    expect(rejected.resetMs).toBeLessThanOrEqual(10_000)
    // The clamped tat (now + τ) was written back, with an expiry: the bucket is merely empty, not frozen.
    expect(Number(await redis.client.get(key)) - (await redisNowUs())).toBeLessThanOrEqual(policy.burstUs)
    expect(await redis.client.pttl(key)).toBeLessThanOrEqual(10_001)
    // One interval later (seeded on Redis's clock, not waited for) a token is there again.
    await redis.client.set(key, String((await redisNowUs()) + policy.burstUs - policy.emissionIntervalUs))
    expect((await decide(store, 'k', policy, 1)).allowed).toBe(true)
  })

  it('after a forward jump (tat an hour behind) the bucket is full: exactly B admitted', async () => {
    await redis.client.set(store.redisKey(storeKey(policy.name, 'k')), String((await redisNowUs()) - 3_600_000_000))
    const decisions = await decideAll(
      store,
      Array.from({ length: 4 }, () => ({ key: 'k', policy, cost: 1 })),
    )
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false, false])
  })
})
