// Random policies for the property tests that compare the Lua scripts with core's bucket math.
import type { Policy } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import fc from 'fast-check'

/** A policy; `maxWaitUs` D > 0 (maxWait) is sent to the script as the admission window τ + D. */
export const policyOf = (capacity: number, emissionIntervalUs: number, maxWaitUs = 0): Policy => ({
  name: 'eq',
  capacity,
  refillRatePerSecond: 1_000_000 / emissionIntervalUs,
  emissionIntervalUs,
  burstUs: capacity * emissionIntervalUs,
  ...(maxWaitUs > 0 && { maxWaitUs }),
})

/**
 * No maxWait half the time; else D up to 3τ (the bucket may then admit that far on credit). With D > 0
 * costs stay ≤ B: RedisStore never sends a larger one with a credit window (it answers it with a peek).
 */
export const withMaxWait = (policy: Policy) =>
  fc
    .oneof(fc.constant(0), fc.integer({ min: 1, max: Math.min(3 * policy.burstUs, 1e14) }))
    .map((maxWaitUs) => policyOf(policy.capacity, policy.emissionIntervalUs, maxWaitUs))

/**
 * A bucket: a policy of capacity 1..`maxCapacity` (T up to 2 s, maxWait half the time) and its stored tat
 * as an offset from Redis TIME in [−2τ, 3τ] (a forward and a backward clock jump), or no key.
 */
export const storedBuckets = (maxCapacity: number) =>
  fc
    .record({ capacity: fc.integer({ min: 1, max: maxCapacity }), intervalUs: fc.integer({ min: 1, max: 2_000_000 }) })
    .map(({ capacity, intervalUs }) => policyOf(capacity, intervalUs))
    .chain(withMaxWait)
    .chain((policy) =>
      fc.record({
        policy: fc.constant(policy),
        offsetUs: fc.option(fc.integer({ min: -2 * admissionWindowUs(policy), max: 3 * admissionWindowUs(policy) }), {
          nil: undefined,
        }),
      }),
    )
