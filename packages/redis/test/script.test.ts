// The exported script and SHA1 against a real redis-server: the SHA matches SCRIPT LOAD, replies are integers.
import { describe, expect, it } from 'vitest'
import { randomKeyPrefix } from '../../../test/harness/redis-server.js'
import {
  peekBucketScript,
  peekBucketScriptSha1,
  refundBucketScript,
  refundBucketScriptSha1,
  resetBucketScript,
  resetBucketScriptSha1,
  tokenBucketBatchScript,
  tokenBucketBatchScriptSha1,
  tokenBucketBlockScript,
  tokenBucketBlockScriptSha1,
  tokenBucketScript,
  tokenBucketScriptSha1,
} from '../src/index.js'
import { useScriptServer } from './script-server.js'

describe('token bucket script', () => {
  const redis = useScriptServer()

  it('has the SHA1 that SCRIPT LOAD returns (single and batch script)', async () => {
    expect(await redis.client.script('LOAD', tokenBucketScript)).toBe(tokenBucketScriptSha1)
    expect(await redis.client.script('LOAD', tokenBucketBatchScript)).toBe(tokenBucketBatchScriptSha1)
    expect(await redis.client.script('LOAD', tokenBucketBlockScript)).toBe(tokenBucketBlockScriptSha1)
  })

  it('peek, refund and reset scripts have the SHA1 that SCRIPT LOAD returns', async () => {
    expect(await redis.client.script('LOAD', peekBucketScript)).toBe(peekBucketScriptSha1)
    expect(await redis.client.script('LOAD', refundBucketScript)).toBe(refundBucketScriptSha1)
    expect(await redis.client.script('LOAD', resetBucketScript)).toBe(resetBucketScriptSha1)
  })

  it('peek and refund read a poisoned key as an empty bucket; refund rewrites it with a valid tat', async () => {
    const prefix = randomKeyPrefix('script')
    await redis.client.set(`${prefix}text`, 'nan')
    await redis.client.hset(`${prefix}hash`, 'f', '1')
    // interval 1 s, burst 3 s
    expect(await redis.client.evalsha(peekBucketScriptSha1, 1, `${prefix}text`, 1_000_000, 3_000_000)).toEqual([
      0, 3_000_000,
    ])
    expect(await redis.client.get(`${prefix}text`)).toBe('nan')
    expect(await redis.client.evalsha(refundBucketScriptSha1, 1, `${prefix}hash`, 1_000_000, 3_000_000, 1)).toEqual([
      1, 2_000_000,
    ])
    expect(await redis.client.get(`${prefix}hash`)).toMatch(/^\d{16}$/)
    expect(await redis.client.pttl(`${prefix}hash`)).toBeGreaterThan(0)
    expect(await redis.client.evalsha(resetBucketScriptSha1, 1, `${prefix}hash`)).toBe(1)
    expect(await redis.client.exists(`${prefix}hash`)).toBe(0)
  })

  it('batch script: integer pairs, one per key in order, the same key twice sees its first step', async () => {
    const prefix = randomKeyPrefix('script')
    // interval 1 s, burst 2 s: a then a again (second rejected: 2 tokens asked, 1 left), then b; one run.
    const reply = await redis.client.evalsha(
      tokenBucketBatchScriptSha1,
      3,
      `${prefix}a`,
      `${prefix}a`,
      `${prefix}b`,
      ...[1_000_000, 2_000_000, 3, 1, 2, 2],
    )
    expect(reply).toEqual([1, 1_000_000, 0, 1_000_000, 1, 2_000_000])
  })

  it('batch script: runs of policies, each step with the interval and burst of its run', async () => {
    const prefix = randomKeyPrefix('script')
    // a (interval 1 s, burst 2 s), then b and c (interval 100 ms, burst 300 ms), then a again (first run's).
    const reply = await redis.client.evalsha(
      tokenBucketBatchScriptSha1,
      4,
      `${prefix}a`,
      `${prefix}b`,
      `${prefix}c`,
      `${prefix}a`,
      ...[1_000_000, 2_000_000, 1, 1],
      ...[100_000, 300_000, 2, 3, 4],
      ...[1_000_000, 2_000_000, 1, 2],
    )
    expect(reply).toEqual([1, 1_000_000, 1, 300_000, 0, 0, 0, 1_000_000])
  })

  it('returns integers only, and stores tat as plain epoch-µs digits', async () => {
    const key = `${randomKeyPrefix('script')}k`
    const [seconds, micros] = (await redis.client.time()) as [number | string, number | string]
    const nowUs = Number(seconds) * 1e6 + Number(micros)
    // interval 1 s, burst 100 s: one admission leaves a debt of exactly one interval.
    const reply = await redis.client.evalsha(tokenBucketScriptSha1, 1, key, 1_000_000, 100_000_000, 1)
    expect(reply).toEqual([1, 1_000_000])
    const stored = await redis.client.get(key)
    expect(stored).toMatch(/^\d{16}$/)
    expect(Number(stored) - nowUs).toBeGreaterThanOrEqual(1_000_000)
    expect(Number(stored) - nowUs).toBeLessThan(1_000_000 + 5_000_000)
  })

  it('rejects a cost above the burst with an integer debt and writes nothing', async () => {
    const key = `${randomKeyPrefix('script')}k`
    expect(await redis.client.evalsha(tokenBucketScriptSha1, 1, key, 1_000, 10_000, 11)).toEqual([0, 0])
    expect(await redis.client.exists(key)).toBe(0)
  })
})
