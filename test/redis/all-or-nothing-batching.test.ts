// RedisStore batching of consumeAll on a private redis-server: concurrent requests' groups share a call, each all-or-nothing.
import type { ConsumeStep, Policy } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { RedisStore, tokenBucketAllScript } from '@spillway/redis'
import { beforeEach, describe, expect, it } from 'vitest'
import { scriptCalls } from '../harness/command-stats.js'
import { fromSeparateCallbacks, whileRedisBusy } from '../harness/redis-busy.js'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'

const redis = useRedisServer()
let prefix: string

beforeEach(async () => {
  prefix = randomKeyPrefix('all-batch')
  await redis.client.script('LOAD', tokenBucketAllScript)
  await redis.client.config('RESETSTAT')
})

/** One token an hour: nothing refills during a test. */
const global = createPolicy({ name: 'global', capacity: 3, refillRate: { tokens: 1, per: '1h' } })
const login = createPolicy({ name: 'login', capacity: 1, refillRate: { tokens: 1, per: '1h' } })
const step = (policy: Policy, client: string): ConsumeStep => ({ key: storeKey(policy.name, client), policy, cost: 1 })
/** A login request of `client`: the app-wide policy and the login one, all-or-nothing. */
const loginRequest = (store: RedisStore, client: string) =>
  store.consumeAll([step(global, client), step(login, client)]).then((results) => results.map((r) => r.allowed))

/**
 * Login requests of clients a, a, b, a (in this order): a's first and b's pass; a's later ones find its
 * login bucket empty and take nothing from the app-wide one.
 */
const A_A_B_A = ['a', 'a', 'b', 'a']
const A_A_B_A_OUTCOMES = [
  [true, true],
  [true, false],
  [true, true],
  [true, false],
]

describe('RedisStore consumeAll batching', () => {
  it('decides the requests of one tick in one EVALSHA, each all-or-nothing, in order', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    const outcomes = await Promise.all(A_A_B_A.map((client) => loginRequest(store, client)))
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 1, eval: 0 })
    expect(outcomes).toEqual(A_A_B_A_OUTCOMES)
    // The rejected requests took nothing from the app-wide bucket: 2 of its 3 tokens are left.
    const take = (cost: number) => store.consumeAll([{ ...step(global, 'a'), cost }]).then(([r]) => r?.allowed)
    expect(await take(2)).toBe(true)
    expect(await take(1)).toBe(false)
  })

  it('with batch: false sends one EVALSHA per request', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix, batch: false })
    await Promise.all(A_A_B_A.map((client) => loginRequest(store, client)))
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 4, eval: 0 })
  })

  it('joins the requests of separate callbacks (as of separate sockets) in one call while a call is in flight', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    const outcomes = await whileRedisBusy(redis.server.port, 50, async () => {
      const first = loginRequest(store, 'a')
      const later = await fromSeparateCallbacks(3, (i) => loginRequest(store, A_A_B_A[i + 1] as string))
      return [await first, ...later]
    })
    // One call for the first request and one for the three callbacks (and the busy script's EVAL).
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 2, eval: 1 })
    expect(outcomes).toEqual(A_A_B_A_OUTCOMES)
  })

  it('never splits a request: calls of at most maxBatchSize steps, a request of more alone', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix, maxBatchSize: 5 })
    const clients = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']
    const outcomes = await Promise.all(clients.map((client) => loginRequest(store, client)))
    // Requests of 2 steps; 5 queued steps flush at once: twice 3 requests, each as calls of 4 and 2 steps.
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 4, eval: 0 })
    expect(outcomes).toEqual(clients.map(() => [true, true]))
    const policies = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((name) =>
      createPolicy({ name, capacity: 1, refillRate: 1 }),
    )
    const results = await store.consumeAll(policies.map((policy) => step(policy, 'wide')))
    expect(results.map((result) => result.allowed)).toEqual(Array(6).fill(true))
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 5, eval: 0 })
  })

  it('rejects every request of a failed call with its error, takes nothing, and never resends it', async () => {
    const store = new RedisStore({ client: redis.client, heartbeat: false, prefix })
    await redis.client.config('SET', 'maxmemory', '1') // every write is refused with OOM
    let settled: PromiseSettledResult<unknown>[]
    try {
      settled = await Promise.allSettled(['a', 'b', 'c'].map((client) => loginRequest(store, client)))
    } finally {
      await redis.client.config('SET', 'maxmemory', '0')
    }
    expect(settled.map((result) => result.status)).toEqual(Array(3).fill('rejected'))
    for (const result of settled) expect(String((result as PromiseRejectedResult).reason)).toMatch(/OOM/)
    expect(await scriptCalls(redis.client)).toEqual({ evalsha: 1, eval: 0 })
    expect(await loginRequest(store, 'a')).toEqual([true, true]) // nothing was taken
  })
})
