// The all-or-nothing script on a private redis-server: its SHA, expiry, poisoned keys and clock jumps, one call.
import { type ConsumeStep, MemoryStore, type Policy } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { RedisStore, tokenBucketAllScript, tokenBucketAllScriptSha1 } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'

let server: RedisServer
let client: Redis
let store: RedisStore

beforeAll(async () => {
  server = await startRedisServer()
  client = await connectLimiterClient(server.port)
  store = new RedisStore({ client, prefix: randomKeyPrefix('all-script'), heartbeat: false })
})

afterAll(async () => {
  client?.disconnect()
  await server?.stop()
})

const global = createPolicy({ name: 'global', capacity: 3, refillRate: 0.2 }) // 5 s per token, τ = 15 s
const login = createPolicy({ name: 'login', capacity: 1, refillRate: 0.1 }) // 10 s per token
const step = (policy: Policy, id: string, extra: Partial<ConsumeStep> = {}): ConsumeStep => ({
  key: storeKey(policy.name, id),
  policy,
  cost: 1,
  ...extra,
})

async function redisNowUs(): Promise<number> {
  const [seconds, micros] = (await client.time()) as [number | string, number | string]
  return Number(seconds) * 1e6 + Number(micros)
}

describe('tokenBucketAllScript', () => {
  it('exports the SHA1 that SCRIPT LOAD computes', async () => {
    expect(await client.script('LOAD', tokenBucketAllScript)).toBe(tokenBucketAllScriptSha1)
  })

  it('is one script call per decision, whatever the number of policies', async () => {
    const id = `id-${randomKeyPrefix()}`
    const scriptCalls = async () => {
      const stats = await client.info('commandstats')
      return [...stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
    }
    await store.consumeAll([step(global, id)]) // loads the script if needed
    const before = await scriptCalls()
    await store.consumeAll([step(global, id), step(login, id)])
    await store.consumeAll([step(global, id), step(login, id), step(global, `${id}-other`)])
    expect((await scriptCalls()) - before).toBe(2)
  })

  it('writes each taken bucket with a TTL until it is full again, and none for a rejection', async () => {
    const id = `id-${randomKeyPrefix()}`
    await store.consumeAll([step(global, id), step(login, id)])
    expect(await client.pttl(store.redisKey(step(global, id).key))).toBeGreaterThan(4000)
    expect(await client.pttl(store.redisKey(step(login, id).key))).toBeGreaterThan(9000)
    const other = `id-${randomKeyPrefix()}`
    const results = await store.consumeAll([step(global, other), step(login, other, { cost: 2 })])
    expect(results.map((result) => result.allowed)).toEqual([true, false])
    expect(await client.exists(store.redisKey(step(global, other).key))).toBe(0)
  })

  it('deletes a held bucket that a give-back makes full', async () => {
    const id = `id-${randomKeyPrefix()}`
    await store.consume(step(global, id).key, global, 1)
    await store.consumeAll([step(login, id, { cost: 5 }), step(global, id, { held: true })])
    expect(await client.exists(store.redisKey(step(global, id).key))).toBe(0)
  })

  it('reads a poisoned key as an empty bucket, rejects, and rewrites it with a TTL', async () => {
    const id = `id-${randomKeyPrefix()}`
    const key = store.redisKey(step(login, id).key)
    await client.hset(key, 'field', '1')
    const results = await store.consumeAll([step(global, id), step(login, id)])
    expect(results.map((result) => result.allowed)).toEqual([true, false])
    expect(await client.get(key)).toMatch(/^\d{16}$/)
    expect(await client.pttl(key)).toBeGreaterThan(9000)
    expect(await client.exists(store.redisKey(step(global, id).key))).toBe(0)
  })

  it('clamps a tat from a backward clock jump to an empty bucket, as a single step does', async () => {
    const id = `id-${randomKeyPrefix()}`
    const key = store.redisKey(step(global, id).key)
    await client.set(key, String((await redisNowUs()) + 3_600_000_000)) // an hour ahead
    const [result] = await store.consumeAll([step(global, id)])
    expect(result?.allowed).toBe(false)
    expect(result?.debtUs).toBeLessThanOrEqual(global.burstUs)
    expect(Number(await client.get(key)) - (await redisNowUs())).toBeLessThanOrEqual(global.burstUs)
  })

  it('admits nothing on credit, and keeps what waiting requests reserved (clamps at τ + D)', async () => {
    const wait = createPolicy({ name: 'wait', capacity: 1, refillRate: 0.1, maxWait: '30s' }) // τ = 10 s
    const id = `id-${randomKeyPrefix()}`
    const key = step(wait, id).key
    // Alone: one token now, two on credit (waits of 10 and 20 s): tat − now ≈ τ + 20 s.
    for (let i = 0; i < 3; i++) expect((await store.consume(key, wait, 1)).allowed).toBe(true)
    const [result, other] = await store.consumeAll([step(wait, id), step(global, id)])
    expect([result?.allowed, other?.allowed]).toEqual([false, true])
    expect(result?.debtUs).toBeGreaterThan(29_000_000)
    expect(Number(await client.get(store.redisKey(key))) - (await redisNowUs())).toBeGreaterThan(29_000_000)
    expect(await client.exists(store.redisKey(step(global, id).key))).toBe(0) // nothing taken
    // A held step given back after a rejection clamps at τ + D too.
    await store.consumeAll([step(login, id, { cost: 2 }), step(wait, id, { held: true })])
    expect(Number(await client.get(store.redisKey(key))) - (await redisNowUs())).toBeGreaterThan(19_000_000)
  })

  it('answers what the in-process store answers for the same sequence', async () => {
    const id = `id-${randomKeyPrefix()}`
    const memory = new MemoryStore()
    const sequence: ConsumeStep[][] = [
      [step(global, id), step(login, id)],
      [step(global, id), step(login, id)],
      [step(global, id)],
      [step(login, id, { cost: 2 }), step(global, id, { held: true })],
      [step(global, id), step(global, id)],
      [step(global, id), step(login, id)],
    ]
    for (const steps of sequence) {
      const inRedis = await store.consumeAll(steps)
      const inMemory = memory.consumeAllSync(steps)
      expect(inRedis.map((r) => r.allowed)).toEqual(inMemory.map((r) => r.allowed))
      // Debts agree to the time between the two calls (well under one token).
      const gaps = inRedis.map((r, i) => Math.abs(r.debtUs - (inMemory[i]?.debtUs ?? 0)))
      expect(Math.max(...gaps)).toBeLessThan(1_000_000)
    }
  })
})
