// Property test: the Lua block script on a real redis-server decides exactly as core's stepBlockedBucket.
import type { Policy } from '@spillway/core'
import { type BlockPolicy, type BlockRecord, stepBlockedBucket } from '@spillway/core/store'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { randomKeyPrefix } from '../../../test/harness/redis-server.js'
import { tokenBucketBlockScript, tokenBucketBlockScriptSha1 } from '../src/index.js'
import { redisTimeUs, useScriptServer } from './script-server.js'

const redis = useScriptServer(tokenBucketBlockScript)

const policies = fc
  .record({
    capacity: fc.integer({ min: 1, max: 100 }),
    intervalUs: fc.integer({ min: 1, max: 5_000_000 }),
    durationUs: fc.integer({ min: 1, max: 50_000_000 }),
    times: fc.integer({ min: 1, max: 50 }),
    factor: fc.constantFrom(1, 1.5, 2, 2.7, 3, 10),
  })
  .map(({ capacity, intervalUs, durationUs, times, factor }) => {
    const block: BlockPolicy = { durationUs, maxDurationUs: durationUs * times, factor }
    const policy: Policy = {
      name: 'eq',
      capacity,
      refillRatePerSecond: 1e6 / intervalUs,
      emissionIntervalUs: intervalUs,
      burstUs: capacity * intervalUs,
      block,
    }
    return { policy, block }
  })

/** A policy, a cost, the stored tat and block relative to Redis TIME (or none). */
const cases = policies.chain(({ policy, block }) =>
  fc.record({
    policy: fc.constant(policy),
    block: fc.constant(block),
    cost: fc.integer({ min: 1, max: policy.capacity + 2 }),
    tatOffsetUs: fc.option(fc.integer({ min: -2 * policy.burstUs, max: 3 * policy.burstUs }), { nil: undefined }),
    record: fc.option(
      fc.record({
        untilOffsetUs: fc.integer({ min: -block.maxDurationUs, max: 2 * block.maxDurationUs }),
        level: fc.integer({ min: 0, max: 70 }),
      }),
      { nil: undefined },
    ),
  }),
)

it('decides as stepBlockedBucket: same admission, debt, block and stored state (200 random cases)', async () => {
  const prefix = randomKeyPrefix('blockeq')
  const key = `${prefix}{k}`
  const blockKey = `${key}:block`
  let recovered = 0
  await fc.assert(
    fc.asyncProperty(cases, async ({ policy, block, cost, tatOffsetUs, record }) => {
      const t0 = redisTimeUs(await redis.client.time())
      const seededTat = tatOffsetUs === undefined ? undefined : t0 + tatOffsetUs
      const seededBlock: BlockRecord | undefined =
        record === undefined ? undefined : { untilUs: Math.max(0, t0 + record.untilOffsetUs), level: record.level }
      const multi = redis.client.multi()
      if (seededTat === undefined) multi.del(key)
      else multi.set(key, String(seededTat))
      if (seededBlock === undefined) multi.del(blockKey)
      else multi.set(blockKey, `${seededBlock.untilUs}:${seededBlock.level}`)
      const { emissionIntervalUs, burstUs } = policy
      const blockArgs = [block.durationUs, block.maxDurationUs, block.factor]
      multi.evalsha(tokenBucketBlockScriptSha1, 2, key, blockKey, emissionIntervalUs, burstUs, cost, ...blockArgs)
      multi.get(key)
      multi.get(blockKey)
      multi.time()
      const results = (await multi.exec()) ?? []
      expect(results.map(([error]) => error)).toEqual([null, null, null, null, null, null])
      const [reply, tatAfter, blockAfter, t1raw] = results.slice(2).map(([, value]) => value) as [
        [number, number, number],
        string | null,
        string | null,
        unknown,
      ]
      const t1 = redisTimeUs(t1raw)
      const [allowed, debtUs, blockedUs] = reply
      const candidates = new Set<number>([t0, t1])
      if (tatAfter !== null) candidates.add(Number(tatAfter) - debtUs)
      if (seededTat !== undefined) candidates.add(seededTat - debtUs)
      if (blockAfter !== null) candidates.add(Number(blockAfter.split(':')[0]) - blockedUs)
      const matching = [...candidates].filter((nowUs) => {
        if (nowUs < t0 || nowUs > t1) return false
        const step = stepBlockedBucket(policy, block, { tatUs: seededTat, record: seededBlock, nowUs, cost })
        const expectedBlock = step.newBlock
          ? `${step.newBlock.untilUs}:${step.newBlock.level}`
          : seededBlock && `${seededBlock.untilUs}:${seededBlock.level}`
        return (
          step.allowed === (allowed === 1) &&
          step.debtUs === debtUs &&
          step.blockedUs === blockedUs &&
          (blockAfter ?? undefined) === expectedBlock &&
          storedTatAgrees(tatAfter, seededTat, step)
        )
      })
      expect(
        matching.length,
        JSON.stringify({ reply, tatAfter, blockAfter, t0, t1, seededTat, seededBlock }),
      ).toBeGreaterThan(0)
      if (matching.some((nowUs) => nowUs !== t0 && nowUs !== t1)) recovered++
    }),
    { numRuns: 200 },
  )
  expect(recovered).toBeGreaterThan(100)
})

/** Admitted: the new tat is stored. Rejected: the tat is left as it was, or rewritten clamped (a backward jump). */
function storedTatAgrees(after: string | null, seeded: number | undefined, step: { allowed: boolean; tatUs: number }) {
  const stored = after === null ? undefined : Number(after)
  if (step.allowed) return stored === step.tatUs
  return stored === seeded || stored === step.tatUs
}
