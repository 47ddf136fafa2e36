// RedisStore batching on a private redis-server: one script call per tick, NOSCRIPT and errors per batch, poisoned keys inside a batch.

import { createPolicy, storeKey } from '@spillway/core/store'
import {
  RedisStore,
  tokenBucketBatchScript,
  tokenBucketBatchScriptSha1,
  tokenBucketScript,
  tokenBucketScriptSha1,
} from '@spillway/redis'
import { beforeEach, describe, expect, it } from 'vitest'
import { scriptCalls } from '../harness/command-stats.js'
import { decide, decideAll } from '../harness/decide.js'
import { fromSeparateCallbacks, whileRedisBusy } from '../harness/redis-busy.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'

const redis = useRedisServer()
let prefix: string

beforeEach(async () => {
  prefix = randomKeyPrefix('batch')
  await redis.client.script('LOAD', tokenBucketScript)
  await redis.client.script('LOAD', tokenBucketBatchScript)
  await redis.client.config('RESETSTAT')
})

const policy = createPolicy({ name: 'batch', capacity: 25, refillRate: { tokens: 1, per: '1h' } })
const many = (count: number, key = 'k') => Array.from({ length: count }, () => ({ key, policy, cost: 1 }))

describe('RedisStore batching', () => {
  it('decides the 100 decisions of one tick with two EVALSHAs when no call is in flight, exactly', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    const decisions = await decideAll(store, [...many(50, 'a'), ...many(50, 'b')])
    // Two calls, so Redis runs the second while the process handles the first one's answers.
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 2, eval: 0 })
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50)
    // In arrival order: the first 25 of each key pass, with remaining counting down.
    expect(decisions.slice(0, 26).map((d) => d.remaining)).toEqual([...Array.from({ length: 25 }, (_, i) => 24 - i), 0])
    expect(decisions[25]?.allowed).toBe(false)
  })

  it('sends the decisions of a tick as one call while a call is in flight, exactly', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    const first = decideAll(store, many(40))
    // The first tick's flush has run (two calls); their answers cannot arrive before this tick ends.
    await new Promise<void>((resolve) => process.nextTick(resolve))
    const second = decideAll(store, many(40))
    const decisions = [...(await first), ...(await second)]
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 3, eval: 0 })
    expect(decisions.map((d) => d.allowed)).toEqual([...Array(25).fill(true), ...Array(55).fill(false)])
  })

  it('joins the decisions of separate callbacks (as of requests on separate sockets) in one call while a call is in flight', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    // Redis busy for 50 ms on another connection: the first call below stays in flight meanwhile.
    const decisions = await whileRedisBusy(redis.server.port, 50, async () => {
      const first = decideAll(store, many(2, 'a'))
      const later = await fromSeparateCallbacks(3, () => decide(store, 'b', policy, 1))
      return [...(await first), ...later]
    })
    // One batch script call for the first tick and one for the three callbacks (and the busy script's EVAL);
    // at the end of each callback's tick it would be 1 + 3.
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 2, eval: 1 })
    expect(decisions.map((d) => d.remaining)).toEqual([24, 23, 24, 23, 22])
  })

  it('caps a batch at maxBatchSize: 100 decisions, batches of 30 → 4 calls', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix, maxBatchSize: 30 })
    const decisions = await decideAll(store, many(100))
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 4, eval: 0 })
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25)
  })

  it('sends a lone decision at once with the single-key script (no timer, no batch script)', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    await redis.client.script('FLUSH')
    const started = performance.now()
    expect((await decide(store, 'k', policy, 1)).allowed).toBe(true)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await redis.client.script('EXISTS', tokenBucketScriptSha1, tokenBucketBatchScriptSha1)).toEqual([1, 0])
  })

  it('with batch: false sends one EVALSHA per decision', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix, batch: false })
    await decideAll(store, many(10))
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 10, eval: 0 })
  })

  it('reloads on NOSCRIPT once per call when several batches of one tick meet it, each decision applied once', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix, maxBatchSize: 10 })
    await redis.client.script('FLUSH')
    await redis.client.config('RESETSTAT')
    const decisions = await decideAll(store, many(30))
    // The three calls are in flight together, so each meets NOSCRIPT and is sent again once as EVAL.
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 3, eval: 3 })
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25)
    expect((await decide(store, 'k', policy, 1)).allowed).toBe(false)
  })

  it('rejects every decision of a failed batch with its error, and never resends it', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    await decide(store, 'warm', policy, 1) // both scripts cached: an error below is OOM, not NOSCRIPT
    await decideAll(store, many(2, 'warm'))
    await redis.client.config('SET', 'maxmemory', '1') // every write is refused with OOM
    await redis.client.config('RESETSTAT')
    let settled: PromiseSettledResult<unknown>[]
    try {
      settled = await Promise.allSettled(many(5).map(({ key, cost }) => decide(store, key, policy, cost)))
    } finally {
      await redis.client.config('SET', 'maxmemory', '0')
    }
    expect(settled.map((result) => result.status)).toEqual(Array(5).fill('rejected'))
    for (const result of settled) expect(String((result as PromiseRejectedResult).reason)).toMatch(/OOM/)
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 1, eval: 0 })
    expect((await decide(store, 'k', policy, 25)).allowed).toBe(true) // nothing was taken
  })

  it('treats poisoned keys inside a batch as empty buckets, rewritten with a TTL; the other keys are unaffected', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    // τ 1 s: a rewritten key cannot expire before it is read (at τ 100 ms, 100 ms of round trips let it).
    const small = createPolicy({ name: 'poison', capacity: 2, refillRate: 2 })
    const keyOf = (id: string) => store.redisKey(storeKey(small.name, id))
    await redis.client.lpush(keyOf('list'), 'x')
    await redis.client.set(keyOf('nan'), 'nan')
    const startedMs = performance.now()
    const decisions = await decideAll(store, [
      { key: 'list', policy: small, cost: 1 },
      { key: 'clean', policy: small, cost: 1 },
      { key: 'nan', policy: small, cost: 1 },
      { key: 'list', policy: small, cost: 1 },
      { key: 'clean', policy: small, cost: 1 },
    ])
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 1, eval: 0 })
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [false, 0],
      [true, 1],
      [false, 0],
      [false, 0],
      [true, 0],
    ])
    for (const id of ['list', 'nan']) {
      expect(await redis.client.get(keyOf(id))).toMatch(/^\d{16}$/)
      const ttlMs = await redis.client.pttl(keyOf(id))
      // τ + 1 ms when written, less the Redis time since: at most what passed here.
      expect(ttlMs).toBeLessThanOrEqual(1001)
      expect(ttlMs).toBeGreaterThanOrEqual(1001 - Math.ceil(performance.now() - startedMs))
    }
  })

  it('rejects a bad maxBatchSize and batch option', () => {
    for (const options of [{ maxBatchSize: 0 }, { maxBatchSize: 1.5 }, { maxBatchSize: 1001 }, { batch: 'yes' }]) {
      expect(() => new RedisStore({ client: redis.client, heartbeat: false, ...options } as never)).toThrow(
        /ERR_SPILLWAY_INVALID_OPTION/,
      )
    }
  })
})
