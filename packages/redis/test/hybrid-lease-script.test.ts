// The hybrid lease script against a real redis-server: SHA1, leases as admissions, returns capped at B, heartbeat.
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../../../test/harness/redis-server.js'
import { hybridLeaseScript, hybridLeaseScriptSha1, tokenBucketScript, tokenBucketScriptSha1 } from '../src/index.js'

const T = 1_000_000 // 1 s per token
const BURST = 10 * T // B = 10
/** Debts shrink as Redis time passes between calls: compare within 100 ms. */
const about = (us: number) => expect.closeTo(us, -5)

describe('hybrid lease script', () => {
  let server: RedisServer
  let client: Redis

  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.port, '127.0.0.1', { enableOfflineQueue: false, lazyConnect: true })
    await client.connect()
  })

  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })

  /** One call without a beat: entries of [key, returned, want, need]. */
  const lease = (fleetKey: string, ...entries: [string, number, number, number][]) =>
    client.evalsha(
      hybridLeaseScriptSha1,
      1 + entries.length,
      fleetKey,
      ...entries.map(([key]) => key),
      'p1',
      0,
      ...entries.flatMap(([, returned, want, need]) => [T, BURST, returned, want, need]),
    ) as Promise<number[]>

  it('has the SHA1 that SCRIPT LOAD returns', async () => {
    expect(await client.script('LOAD', hybridLeaseScript)).toBe(hybridLeaseScriptSha1)
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
    await lease(`${prefix}fleet`, [key, 0, 5, 5])
    // Return 3 of the 5: debt 2 T, and a 0-token request reports it.
    expect((await lease(`${prefix}fleet`, [key, 3, 0, 0])).slice(1)).toEqual([0, about(2 * T), 0])
    // Returning 50 (more than was ever taken) leaves a full bucket, not 58 tokens.
    expect((await lease(`${prefix}fleet`, [key, 50, 0, 0])).slice(1)).toEqual([0, 0, 0])
    expect((await lease(`${prefix}fleet`, [key, 0, 100, 1])).slice(1, 3)).toEqual([10, about(BURST)])
  })

  it('shares buckets with the token bucket script (same key, same tat)', async () => {
    const prefix = randomKeyPrefix('lease')
    const key = `${prefix}k`
    await lease(`${prefix}fleet`, [key, 0, 7, 1])
    await client.script('LOAD', tokenBucketScript)
    expect(await client.evalsha(tokenBucketScriptSha1, 1, key, T, BURST, 4)).toEqual([0, about(7 * T)])
    expect(await client.evalsha(tokenBucketScriptSha1, 1, key, T, BURST, 3)).toEqual([1, about(BURST)])
  })

  it('beats into the fleet set (N), and leaves it', async () => {
    const fleetKey = `${randomKeyPrefix('lease')}fleet`
    const beat = (id: string, mode: number) => client.evalsha(hybridLeaseScriptSha1, 1, fleetKey, id, mode)
    expect(await beat('p1', 3000)).toEqual([1])
    expect(await beat('p2', 3000)).toEqual([2])
    expect(await beat('p1', -1)).toEqual([0])
    expect(await beat('p2', 3000)).toEqual([1])
  })
})
