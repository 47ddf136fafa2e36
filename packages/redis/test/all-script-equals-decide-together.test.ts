// Property test: the all-or-nothing script on a real redis-server decides each group of a call as core's decideTogetherAt, in order.
import type { ConsumeStep, Policy } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { randomKeyPrefix } from '../../../test/harness/redis-server.js'
import { decideTogetherAt } from '../../core/src/all-or-nothing.js'
import { tokenBucketAllScript, tokenBucketAllScriptSha1 } from '../src/index.js'
import { storedBuckets } from './script-policies.js'
import { redisTimeUs, seededScriptCall, someNowExplains, storedUs, useScriptServer } from './script-server.js'

const redis = useScriptServer(tokenBucketAllScript)

const buckets = storedBuckets(6)

type Bucket = { policy: Policy; offsetUs: number | undefined }
type GroupStep = { index: number; cost: number; held: boolean }

/** 1–3 buckets and 1–5 groups (requests) of 1–4 steps on them, costs 1..B+1, some held. */
const calls = fc.array(buckets, { minLength: 1, maxLength: 3 }).chain((bucketList) =>
  fc.record({
    buckets: fc.constant(bucketList),
    groups: fc.array(
      fc.array(
        fc.integer({ min: 0, max: bucketList.length - 1 }).chain((index) =>
          fc.record({
            index: fc.constant(index),
            cost: fc.integer({ min: 1, max: (bucketList[index]?.policy.capacity ?? 1) + 1 }),
            held: fc.boolean(),
          }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      { minLength: 1, maxLength: 5 },
    ),
  }),
)

/** A stored time as a state: at or before now the bucket is full, as if absent. */
const stateOf = (tatUs: number | undefined, nowUs: number) => (tatUs === undefined || tatUs <= nowUs ? 'full' : tatUs)

/** The replies and final stored times that decideTogetherAt, group after group at `nowUs`, gives. */
function simulate(bucketList: readonly Bucket[], seeds: (number | undefined)[], groups: GroupStep[][], nowUs: number) {
  const stored = [...seeds]
  const replies: number[] = []
  for (const group of groups) {
    const steps: ConsumeStep[] = group.map(({ index, cost, held }) => ({
      key: String(index),
      policy: (bucketList[index] as Bucket).policy,
      cost,
      held,
    }))
    const decided = decideTogetherAt(steps, nowUs, (key) => stored[Number(key)])
    decided.steps.forEach((step, i) => {
      stored[(group[i] as GroupStep).index] = step.tatUs
      replies.push(step.allowed ? 1 : 0, step.debtUs)
    })
  }
  return { replies, stored }
}

it('decides the groups of one call as decideTogetherAt decides them one after another at one now (150 random calls)', async () => {
  const prefix = randomKeyPrefix('all-eq')
  let call = 0
  await fc.assert(
    fc.asyncProperty(calls, async ({ buckets: bucketList, groups }) => {
      const keys = bucketList.map((_, i) => `${prefix}${call}:${i}`)
      call++
      const t0 = redisTimeUs(await redis.client.time())
      const seeds = bucketList.map(({ offsetUs }) => (offsetUs === undefined ? undefined : t0 + offsetUs))
      // The call's policies (one per bucket), then per group n and per step ±policy number (− held), cost.
      const args: number[] = [bucketList.length]
      for (const { policy } of bucketList)
        args.push(policy.emissionIntervalUs, policy.burstUs, admissionWindowUs(policy))
      for (const group of groups) {
        args.push(group.length)
        for (const { index, cost, held } of group) args.push(held ? -(index + 1) : index + 1, cost)
      }
      const callKeys = groups.flatMap((group) => group.map(({ index }) => keys[index] as string))
      const { reply, after, t1Us } = await seededScriptCall(redis.client, {
        keys,
        seeds,
        sha1: tokenBucketAllScriptSha1,
        callKeys,
        args,
      })
      // Some now in [t0, t1] explains every reply and every state.
      const explained = someNowExplains(t0, t1Us, (nowUs) => {
        const sim = simulate(bucketList, seeds, groups, nowUs)
        return (
          sim.replies.every((n, i) => n === reply[i]) &&
          sim.stored.every((tat, i) => stateOf(tat, nowUs) === stateOf(storedUs(after[i] ?? null), nowUs))
        )
      })
      expect(explained).toBe(true)
    }),
    { numRuns: 150 },
  )
})
