// Property test: the Lua token bucket script on a real redis-server decides exactly as core's stepBucket.
import type { Policy } from '@spillway/core'
import { admissionWindowUs, MAX_BURST_US, stepBucket } from '@spillway/core/store'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { randomKeyPrefix } from '../../../test/harness/redis-server.js'
import { tokenBucketScript, tokenBucketScriptSha1 } from '../src/index.js'
import { policyOf, withMaxWait } from './script-policies.js'
import { redisTimeUs, useScriptServer } from './script-server.js'

const redis = useScriptServer(tokenBucketScript)

/** Mostly T ≤ 10 s; sometimes T as large as τ < 10^15 allows, to check exactness near the limit. */
const policies = fc
  .integer({ min: 1, max: 1000 })
  .chain((capacity) =>
    fc
      .oneof(
        { weight: 9, arbitrary: fc.integer({ min: 1, max: 10_000_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: Math.floor((MAX_BURST_US - 1) / capacity) }) },
      )
      .map((intervalUs) => policyOf(capacity, intervalUs)),
  )
  .chain(withMaxWait)

/** A policy, a cost (1..B+2) and the stored tat as an offset from Redis TIME in [−2τ, 3τ], or no key. */
const cases = policies.chain((policy) =>
  fc.record({
    policy: fc.constant(policy),
    cost: fc.integer({ min: 1, max: policy.capacity + (policy.maxWaitUs === undefined ? 2 : 0) }),
    offsetUs: fc.option(fc.integer({ min: -2 * admissionWindowUs(policy), max: 3 * admissionWindowUs(policy) }), {
      nil: undefined,
    }),
  }),
)

/**
 * Seeds the key relative to Redis TIME, then runs SET, the script, GET and TIME in one MULTI, so that a
 * key written with a 2 ms expiry cannot vanish before it is read. The script's `now` lies in [t0, t1].
 */
async function runCase(key: string, policy: Policy, cost: number, offsetUs: number | undefined) {
  const t0 = redisTimeUs(await redis.client.time())
  // A stored tat is a time on Redis's clock, never negative (a negative string is a poisoned value, which the
  // script reads as an empty bucket: tested in test/redis/poisoned-bucket.test.ts): clamp the seed at 0.
  const seededUs = offsetUs === undefined ? undefined : Math.max(0, t0 + offsetUs)
  const multi = redis.client.multi()
  if (seededUs === undefined) multi.del(key)
  else multi.set(key, String(seededUs))
  multi.evalsha(tokenBucketScriptSha1, 1, key, policy.emissionIntervalUs, admissionWindowUs(policy), cost)
  multi.get(key)
  multi.time()
  const results = (await multi.exec()) ?? []
  expect(results.map(([error]) => error)).toEqual([null, null, null, null])
  const [reply, after, t1] = results.slice(1).map(([, value]) => value) as [[number, number], string | null, unknown]
  const [allowed, debtUs] = reply
  return { seededUs, t0, t1: redisTimeUs(t1), allowed: allowed === 1, debtUs, storedUs: after ?? undefined }
}

it('decides as stepBucket: same admission, same debt, same stored tat (150 random cases)', async () => {
  const prefix = randomKeyPrefix('eq')
  let recovered = 0
  await fc.assert(
    fc.asyncProperty(cases, async ({ policy, cost, offsetUs }) => {
      const run = await runCase(`${prefix}k`, policy, cost, offsetUs)
      expect(Number.isSafeInteger(run.debtUs) && run.debtUs >= 0).toBe(true)
      const stored = run.storedUs === undefined ? undefined : Number(run.storedUs)
      if (stored !== undefined) expect(run.storedUs).toMatch(/^\d+$/)
      const written = stored !== run.seededUs

      if (!run.allowed && !written && run.debtUs === 0) {
        // A full bucket (no key, or tat ≤ now) that rejects: only cost > B does, nothing is written, and
        // `now` cannot be recovered. stepBucket must say the same for every now the script could have read.
        expect(cost * policy.emissionIntervalUs).toBeGreaterThan(admissionWindowUs(policy))
        for (const nowUs of [Math.max(run.t0, run.seededUs ?? run.t0), run.t1]) {
          expect(stepBucket(policy, { tatUs: run.seededUs, nowUs, cost })).toEqual({
            allowed: false,
            debtUs: 0,
            tatUs: nowUs,
          })
        }
        return
      }

      // Allowed, or rejected with a clamped tat: the script stored tat' and replied tat' − now. Rejected
      // with nothing written: tat is the seeded value and the reply is tat − now > 0.
      if (run.allowed) expect(written).toBe(true)
      const tatUs = written ? stored : run.seededUs
      if (tatUs === undefined) return expect.fail('a step that was not a full-bucket rejection left no tat')
      const nowUs = tatUs - run.debtUs
      expect(nowUs).toBeGreaterThanOrEqual(run.t0)
      expect(nowUs).toBeLessThanOrEqual(run.t1)
      expect(stepBucket(policy, { tatUs: run.seededUs, nowUs, cost })).toEqual({
        allowed: run.allowed,
        debtUs: run.debtUs,
        tatUs,
      })
      recovered++
    }),
    { numRuns: 150 },
  )
  // Most cases must be checked exactly, not through the full-bucket branch.
  expect(recovered).toBeGreaterThan(75)
})
