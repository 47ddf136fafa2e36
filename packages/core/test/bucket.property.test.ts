// Property tests: the GCRA math against a naive token bucket, with an injected clock.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLimiter, MemoryStore } from '../src/index.js'
import { createPolicy } from '../src/store.js'
import { NaiveTokenBucket } from './reference-model.js'

/** A policy whose emission interval is a whole number of µs, so R = 1e6 / T exactly. */
const exactPolicy = fc
  .record({ capacity: fc.integer({ min: 1, max: 50 }), intervalUs: fc.integer({ min: 1, max: 2_000_000 }) })
  .map(({ capacity, intervalUs }) => createPolicy({ capacity, refillRate: 1_000_000 / intervalUs }))

/** Requests: gap since the previous one (µs) and cost. */
const requests = (maxCost: number) =>
  fc.array(fc.record({ gapUs: fc.integer({ min: 0, max: 3_000_000 }), cost: fc.integer({ min: 1, max: maxCost }) }), {
    minLength: 1,
    maxLength: 120,
  })

function limiterWithClock(policy: { capacity: number; refillRatePerSecond: number }) {
  const clock = { nowUs: 1_000_000 }
  const store = new MemoryStore({ clock: () => clock.nowUs })
  const limiter = createLimiter({ capacity: policy.capacity, refillRate: policy.refillRatePerSecond, store })
  return { clock, limiter }
}

describe('bucket math against a naive model', () => {
  it('admits exactly what the naive token bucket admits, and reports the same remaining tokens', async () => {
    await fc.assert(
      fc.asyncProperty(
        exactPolicy.chain((policy) => fc.tuple(fc.constant(policy), requests(policy.capacity + 2))),
        async ([policy, reqs]) => {
          expect(policy.emissionIntervalUs * policy.refillRatePerSecond).toBeCloseTo(1_000_000, 3)
          const { clock, limiter } = limiterWithClock(policy)
          const model = new NaiveTokenBucket(policy.capacity, policy.emissionIntervalUs)
          for (const { gapUs, cost } of reqs) {
            clock.nowUs += gapUs
            const decision = await limiter.consume('k', cost)
            expect(decision.allowed).toBe(model.tryTake(clock.nowUs, cost))
            expect(decision.remaining).toBe(model.tokensAt(clock.nowUs))
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('never admits more than B + R·(t1 − t0) in any window, for any rate', async () => {
    const anyPolicy = fc
      .record({ capacity: fc.integer({ min: 1, max: 40 }), rate: fc.double({ min: 0.01, max: 1000, noNaN: true }) })
      .map(({ capacity, rate }) => createPolicy({ capacity, refillRate: rate }))
    await fc.assert(
      fc.asyncProperty(
        anyPolicy.chain((policy) => fc.tuple(fc.constant(policy), requests(policy.capacity))),
        async ([policy, reqs]) => {
          const { clock, limiter } = limiterWithClock(policy)
          const admitted: { atUs: number; cost: number }[] = []
          for (const { gapUs, cost } of reqs) {
            clock.nowUs += gapUs
            if ((await limiter.consume('k', cost)).allowed) admitted.push({ atUs: clock.nowUs, cost })
          }
          for (let i = 0; i < admitted.length; i++) {
            let total = 0
            for (let j = i; j < admitted.length; j++) {
              total += (admitted[j] as { cost: number }).cost
              const windowS = ((admitted[j] as { atUs: number }).atUs - (admitted[i] as { atUs: number }).atUs) / 1e6
              expect(total).toBeLessThanOrEqual(policy.capacity + policy.refillRatePerSecond * windowS + 1e-9)
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keeps remaining within [0, B] and reset within [0, B/R]', async () => {
    await fc.assert(
      fc.asyncProperty(
        exactPolicy.chain((policy) => fc.tuple(fc.constant(policy), requests(policy.capacity * 2))),
        async ([policy, reqs]) => {
          const { clock, limiter } = limiterWithClock(policy)
          for (const { gapUs, cost } of reqs) {
            clock.nowUs += gapUs
            const d = await limiter.consume('k', cost)
            expect(d.remaining).toBeGreaterThanOrEqual(0)
            expect(d.remaining).toBeLessThanOrEqual(policy.capacity)
            expect(d.resetMs).toBeGreaterThanOrEqual(0)
            expect(d.resetMs).toBeLessThanOrEqual(Math.ceil(policy.burstUs / 1000))
            expect(d.nextTokenMs).toBeLessThanOrEqual(d.resetMs)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('admits a lone client that retries exactly at retryAfterMs, and not one ms before when it is over 1 ms', async () => {
    await fc.assert(
      fc.asyncProperty(
        exactPolicy.chain((policy) => fc.tuple(fc.constant(policy), requests(policy.capacity))),
        async ([policy, reqs]) => {
          const { clock, limiter } = limiterWithClock(policy)
          for (const { gapUs, cost } of reqs) {
            clock.nowUs += gapUs
            const d = await limiter.consume('k', cost)
            if (d.allowed) continue
            expect(d.retryAfterMs).toBeGreaterThan(0)
            expect(Number.isFinite(d.retryAfterMs)).toBe(true)
            if (d.retryAfterMs > 1) {
              clock.nowUs += (d.retryAfterMs - 1) * 1000 - 1000
              expect((await limiter.consume('k', cost)).allowed).toBe(false)
              clock.nowUs += 1000
            }
            clock.nowUs += 1000
            expect((await limiter.consume('k', cost)).allowed).toBe(true)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
