// The hybrid lease script against a real redis-server: SHA1, leases as admissions, returns capped at B, heartbeat.
import { describe, expect, it } from 'vitest'
import { randomKeyPrefix } from '../../../test/harness/redis-server.js'
import { hybridLeaseScript, hybridLeaseScriptSha1, tokenBucketScript, tokenBucketScriptSha1 } from '../src/index.js'
import { useScriptServer } from './script-server.js'

const T = 1_000_000 // 1 s per token
const BURST = 10 * T // B = 10

/**
 * A debt of `fullUs` when a bucket was last written, read by a later call: smaller by the Redis time between
 * the two calls, which is at most the time this process saw pass since `sinceMs` (taken before the first).
 */
function expectDebt(debtUs: number | undefined, fullUs: number, sinceMs: number): void {
  const elapsedUs = Math.ceil((performance.now() - sinceMs) * 1000)
  expect(debtUs).toBeLessThanOrEqual(fullUs)
  expect(debtUs).toBeGreaterThanOrEqual(fullUs - elapsedUs)
}

describe('hybrid lease script', () => {
  const redis = useScriptServer()

  /** One call without a beat: entries of [key, returned, want, need]. */
  const lease = (fleetKey: string, ...entries: [string, number, number, number][]) =>
    redis.client.evalsha(
      hybridLeaseScriptSha1,
      1 + entries.length,
      fleetKey,
      ...entries.map(([key]) => key),
      'p1',
      0,
      ...entries.flatMap(([, returned, want, need]) => [T, BURST, returned, want, need]),
    ) as Promise<number[]>

  it('has the SHA1 that SCRIPT LOAD returns', async () => {
    expect(await redis.client.script('LOAD', hybridLeaseScript)).toBe(hybridLeaseScriptSha1)
  })

  it('grants min(want, available) when need is there, nothing otherwise; integers only', async () => {
    const prefix = randomKeyPrefix('lease')
    const key = `${prefix}k`
    // want 6 of 10 → 6; want 6 again → the 4 left; need 1 → nothing, wait ≈ 1 s.
    const [n, g1, d1, w1, g2, d2, w2, g3, d3, w3] = await lease(
      `${prefix}fleet`,
      [key, 0, 6, 1],
      [key, 0, 6, 1],
      [key, 0, 6, 1],
    )
    expect([n, g1, d1, w1]).toEqual([0, 6, 6 * T, 0])
    expect([g2, d2, w2]).toEqual([4, BURST, T])
    expect([g3, d3, w3]).toEqual([0, BURST, T])
  })

  it('a return gives tokens back once per call, and never fills the bucket above B', async () => {
    const prefix = randomKeyPrefix('lease')
    const key = `${prefix}k`
    const startedMs = performance.now()
    await lease(`${prefix}fleet`, [key, 0, 5, 5])
    // Return 3 of the 5: debt 2 T (less the time since), and a 0-token request reports it.
    const [, granted, debtUs, waitUs] = await lease(`${prefix}fleet`, [key, 3, 0, 0])
    expect([granted, waitUs]).toEqual([0, 0])
    expectDebt(debtUs, 2 * T, startedMs)
    // Returning 50 (more than was ever taken) leaves a full bucket, not 58 tokens: a lease of 10 owes exactly τ.
    expect((await lease(`${prefix}fleet`, [key, 50, 0, 0])).slice(1)).toEqual([0, 0, 0])
    expect((await lease(`${prefix}fleet`, [key, 0, 100, 1])).slice(1, 3)).toEqual([10, BURST])
  })

  it('shares buckets with the token bucket script (same key, same tat)', async () => {
    const prefix = randomKeyPrefix('lease')
    const key = `${prefix}k`
    const startedMs = performance.now()
    await lease(`${prefix}fleet`, [key, 0, 7, 1])
    await redis.client.script('LOAD', tokenBucketScript)
    const step = (cost: number) =>
      redis.client.evalsha(tokenBucketScriptSha1, 1, key, T, BURST, cost) as Promise<number[]>
    const [rejected, owedUs] = await step(4) // 7 taken by the lease: 4 more do not fit in 10
    expect(rejected).toBe(0)
    expectDebt(owedUs, 7 * T, startedMs)
    const [admitted, fullUs] = await step(3)
    expect(admitted).toBe(1)
    expectDebt(fullUs, BURST, startedMs)
  })

  it('beats into the fleet set (N), and leaves it', async () => {
    const fleetKey = `${randomKeyPrefix('lease')}fleet`
    const beat = (id: string, mode: number) => redis.client.evalsha(hybridLeaseScriptSha1, 1, fleetKey, id, mode)
    expect(await beat('p1', 3000)).toEqual([1])
    expect(await beat('p2', 3000)).toEqual([2])
    expect(await beat('p1', -1)).toEqual([0])
    expect(await beat('p2', 3000)).toEqual([1])
  })
})
