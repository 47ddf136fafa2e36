// withFallback and sharePolicy: a failed store is decided in-process on this process's share (⌈B/N⌉, R/N).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLimiter } from '../src/limiter.js'
import { MemoryStore } from '../src/memory-store.js'
import { createPolicy } from '../src/policy.js'
import { sharePolicy } from '../src/share-policy.js'
import { withFallback } from '../src/store-fallback.js'
import { ScriptedStore } from './test-stores.js'

function setup(fleetSize: () => number) {
  const clock = { nowUs: 0 }
  const inner = new ScriptedStore()
  const local = new MemoryStore({ clock: () => clock.nowUs })
  const errors: unknown[] = []
  const store = withFallback(inner, { local, fleetSize, onFallback: (error) => errors.push(error) })
  const limiter = createLimiter({ capacity: 10, refillRate: 4, store })
  return { clock, inner, local, errors, limiter }
}

describe('withFallback', () => {
  it('decides on Redis-like store answers while the store answers, without touching the local buckets', async () => {
    const { local, limiter } = setup(() => 4)
    const decision = await limiter.consume('a')
    expect(decision).toMatchObject({ allowed: true, remaining: 9 })
    expect(decision.source).toBeUndefined()
    expect(local.size).toBe(0)
  })

  it('decides on the share (⌈10/4⌉ = 3 tokens, 1/s) when the store fails, and says so', async () => {
    const { clock, inner, errors, limiter } = setup(() => 4)
    inner.behaviour = 'fail'
    const decisions = []
    for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('a'))
    expect(decisions.map((d) => [d.allowed, d.remaining, d.source])).toEqual([
      [true, 2, 'fallback'],
      [true, 1, 'fallback'],
      [true, 0, 'fallback'],
      [false, 0, 'fallback'],
    ])
    expect(decisions[3]).toMatchObject({ limit: 10, retryAfterMs: 1000, resetMs: 3000 })
    expect(errors).toHaveLength(4)
    clock.nowUs += 1_000_000 // the share refills at R/N = 1 token per second
    expect((await limiter.consume('a')).allowed).toBe(true)
    expect((await limiter.consume('a')).allowed).toBe(false)
  })

  it('reads the fleet size on each fallback decision, and counts a bad one as 1 (the whole limit)', async () => {
    let fleet: unknown = Number.NaN
    const { inner, limiter } = setup(() => fleet as number)
    inner.behaviour = 'fail'
    expect((await limiter.consume('nan')).remaining).toBe(9)
    fleet = 2
    expect((await limiter.consume('two')).remaining).toBe(4)
    const throwing = setup(() => {
      throw new Error('no heartbeat')
    })
    throwing.inner.behaviour = 'fail'
    expect((await throwing.limiter.consume('x')).remaining).toBe(9)
  })

  it('closes the store, and the local store only when it created it', async () => {
    const inner = new ScriptedStore()
    const local = new MemoryStore()
    local.consumeSync('k', createPolicy({ capacity: 2, refillRate: 1 }), 1)
    await withFallback(inner, { local }).close?.()
    expect(inner.closed).toBe(true)
    expect(local.size).toBe(1)
  })

  it.each([
    [{ local: {} }, 'withFallback.local', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ fleetSize: 3 }, 'withFallback.fleetSize', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ share: 3 }, 'withFallback.share', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
  ])('rejects %j', (options, option, code) => {
    expect(() => withFallback(new ScriptedStore(), options as never)).toThrow(expect.objectContaining({ option, code }))
  })
})

describe('sharePolicy', () => {
  it.each([
    // B, R, N → capacity, interval µs
    [10, 1, 3, 4, 3_000_000],
    [10, 4, 4, 3, 1_000_000],
    [1, 1, 8, 1, 8_000_000],
    [100, 3, 7, 15, 2_333_338], // T = 333 334 µs (3/s rounded down), × 7
    [1000, 1000, 3, 334, 3_000],
    [5, 1000000, 3, 2, 3], // the fastest rate: one token per µs, shared by 3
  ])('B=%d R=%d/s N=%d → capacity %d, one token per %d µs', (capacity, refillRate, n, shareCapacity, intervalUs) => {
    const share = sharePolicy(createPolicy({ capacity, refillRate }), n)
    expect(share).toMatchObject({ capacity: shareCapacity, emissionIntervalUs: intervalUs })
    expect(share.burstUs).toBe(shareCapacity * intervalUs)
  })

  it('returns the policy itself for N = 1, and never exceeds R/N nor gives less than ⌈B/N⌉ ≥ 1 tokens', () => {
    const policy = createPolicy({ capacity: 7, refillRate: 999.9 })
    expect(sharePolicy(policy, 1)).toBe(policy)
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        (capacity, intervalUs, n) => {
          const policy = createPolicy({ capacity, refillRate: { tokens: 1, per: intervalUs / 1000 } })
          const share = sharePolicy(policy, n)
          expect(share.capacity).toBe(Math.max(1, Math.ceil(capacity / n)))
          expect(Number.isSafeInteger(share.emissionIntervalUs)).toBe(true)
          expect(share.refillRatePerSecond).toBeLessThanOrEqual((policy.refillRatePerSecond / n) * (1 + 1e-12))
          expect(share.burstUs).toBeLessThan(1e15)
        },
      ),
    )
  })
})
