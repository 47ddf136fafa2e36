// Property test: the batch script on a real redis-server decides each step exactly as core's stepBucket, in order.
import type { Policy } from '@spillway/core'
import { admissionWindowUs, stepBucket } from '@spillway/core/store'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { randomKeyPrefix } from '../../../test/harness/redis-server.js'
import { tokenBucketBatchScript, tokenBucketBatchScriptSha1 } from '../src/index.js'
import { storedBuckets } from './script-policies.js'
import { redisTimeUs, seededScriptCall, someNowExplains, storedUs, useScriptServer } from './script-server.js'

const redis = useScriptServer(tokenBucketBatchScript)

const buckets = storedBuckets(20)

/** 1–4 buckets and 1–16 steps on them (so most batches hit one key several times), costs 1..B+1. */
const batches = fc.array(buckets, { minLength: 1, maxLength: 4 }).chain((bucketList) =>
  fc.record({
    buckets: fc.constant(bucketList),
    steps: fc.array(
      fc.integer({ min: 0, max: bucketList.length - 1 }).chain((index) =>
        fc.record({
          index: fc.constant(index),
          cost: fc.integer({
            min: 1,
            max: (bucketList[index]?.policy.capacity ?? 1) + (bucketList[index]?.policy.maxWaitUs ? 0 : 1),
          }),
        }),
      ),
      { minLength: 1, maxLength: 16 },
    ),
  }),
)

type Bucket = { policy: Policy; offsetUs: number | undefined }
type Step = { index: number; cost: number }

/** The replies and final stored values that sequential stepBucket calls at `nowUs` would give. */
function simulate(buckets: readonly Bucket[], seeds: (number | undefined)[], steps: readonly Step[], nowUs: number) {
  const stored = [...seeds]
  const replies: number[] = []
  for (const { index, cost } of steps) {
    const policy = (buckets[index] as Bucket).policy
    const result = stepBucket(policy, { tatUs: stored[index], nowUs, cost })
    const before = stored[index]
    if (result.allowed || (before !== undefined && before > result.tatUs)) stored[index] = result.tatUs
    replies.push(result.allowed ? 1 : 0, result.debtUs)
  }
  return { replies, stored }
}

it('decides a batch as stepBucket decides its steps one after another at one now (150 random batches)', async () => {
  const prefix = randomKeyPrefix('batch-eq')
  let batch = 0
  await fc.assert(
    fc.asyncProperty(batches, async ({ buckets, steps }) => {
      const keys = buckets.map((_, i) => `${prefix}${batch}:${i}`)
      batch++
      const t0 = redisTimeUs(await redis.client.time())
      const seeds = buckets.map(({ offsetUs }) => (offsetUs === undefined ? undefined : t0 + offsetUs))
      // Runs of consecutive steps of one bucket's policy: interval, burst, n, then the n costs.
      const runs: { policy: Policy; costs: number[] }[] = []
      for (const { index, cost } of steps) {
        const policy = (buckets[index] as Bucket).policy
        const last = runs.at(-1)
        if (last?.policy === policy) last.costs.push(cost)
        else runs.push({ policy, costs: [cost] })
      }
      const args = runs.flatMap(({ policy, costs }) => [
        policy.emissionIntervalUs,
        admissionWindowUs(policy),
        costs.length,
        ...costs,
      ])
      const callKeys = steps.map(({ index }) => keys[index] as string)
      const { reply, after, t1Us } = await seededScriptCall(redis.client, {
        keys,
        seeds,
        sha1: tokenBucketBatchScriptSha1,
        callKeys,
        args,
      })
      expect(reply.every((n) => Number.isSafeInteger(n) && n >= 0)).toBe(true)
      for (const value of after) if (value !== null) expect(value).toMatch(/^\d+$/)
      // Some now in [t0, t1] explains every reply and every write.
      const explained = someNowExplains(t0, t1Us, (nowUs) => {
        const sim = simulate(buckets, seeds, steps, nowUs)
        return (
          sim.replies.every((n, i) => n === reply[i]) &&
          sim.stored.every((tat, i) => tat === storedUs(after[i] ?? null))
        )
      })
      expect(explained).toBe(true)
    }),
    { numRuns: 150 },
  )
})
