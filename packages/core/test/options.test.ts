// Bad options fail at construction with an error naming the option and the value.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLimiter, MemoryStore, SpillwayConfigError } from '../src/index.js'
import { createPolicy } from '../src/store.js'

const store = new MemoryStore()

function configError(build: () => unknown): SpillwayConfigError {
  try {
    build()
  } catch (error) {
    expect(error).toBeInstanceOf(SpillwayConfigError)
    return error as SpillwayConfigError
  }
  throw new Error('expected a SpillwayConfigError')
}

describe('limiter options', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5, '10'])('rejects capacity %s', (capacity) => {
    const error = configError(() => createLimiter({ capacity: capacity as number, refillRate: 1, store }))
    expect(error.option).toBe('capacity')
    expect(error.code).toBe('ERR_SPILLWAY_INVALID_OPTION')
    expect(Object.is(error.value, capacity)).toBe(true)
    expect(error.message).toContain('capacity')
    expect(error.message).toContain(String(typeof capacity === 'string' ? `"${capacity}"` : capacity))
  })

  it.each([0, -2, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 2_000_000])(
    'rejects refillRate %s',
    (refillRate) => {
      const error = configError(() => createLimiter({ capacity: 10, refillRate, store }))
      expect(error.option).toBe('refillRate')
      expect(error.message).toMatch(/^\[spillway\] refillRate /)
    },
  )

  it('rejects a readable refill rate with a bad duration, naming the nested option', () => {
    const error = configError(() =>
      createLimiter({ capacity: 10, refillRate: { tokens: 10, per: '1 fortnight' }, store }),
    )
    expect(error.option).toBe('refillRate.per')
    expect(error.value).toBe('1 fortnight')
    expect(configError(() => createLimiter({ capacity: 10, refillRate: { tokens: 0, per: '1m' }, store })).option).toBe(
      'refillRate.tokens',
    )
  })

  it('rejects a missing store and an object that is not a store', () => {
    const missing = configError(() => createLimiter({ capacity: 1, refillRate: 1 } as never))
    expect(missing.code).toBe('ERR_SPILLWAY_MISSING_OPTION')
    expect(missing.option).toBe('store')
    const wrong = configError(() => createLimiter({ capacity: 1, refillRate: 1, store: {} as never }))
    expect(wrong.code).toBe('ERR_SPILLWAY_INVALID_STORE')
  })

  it('rejects a static cost above capacity, and a bad cost', () => {
    const error = configError(() => createLimiter({ capacity: 5, refillRate: 1, store, cost: 6 }))
    expect(error.code).toBe('ERR_SPILLWAY_COST_EXCEEDS_CAPACITY')
    expect(error.value).toBe(6)
    expect(configError(() => createLimiter({ capacity: 5, refillRate: 1, store, cost: 0 })).option).toBe('cost')
  })

  it('rejects unknown option names instead of ignoring a typo', () => {
    const error = configError(() => createLimiter({ capacity: 5, refillRate: 1, store, burst: 5 } as never))
    expect(error.code).toBe('ERR_SPILLWAY_UNKNOWN_OPTION')
    expect(error.option).toBe('burst')
  })

  it('rejects names that cannot be sent in a header or a Redis key', () => {
    for (const name of ['', 'a"b', 'with space', '{tag}', 'x'.repeat(65)]) {
      expect(configError(() => createPolicy({ name, capacity: 1, refillRate: 1 })).option).toBe('name')
    }
  })

  it('rejects a bucket whose capacity would not fit a 15-digit structured-field Integer', () => {
    expect(configError(() => createPolicy({ capacity: 1e15, refillRate: 1e6 })).option).toBe('capacity')
    expect(createPolicy({ capacity: 1e15 - 1, refillRate: 1e6 }).capacity).toBe(1e15 - 1)
  })

  it('reads the readable refill form', () => {
    const policy = createPolicy({ capacity: 100, refillRate: { tokens: 100, per: '1m' } })
    expect(policy.refillRatePerSecond).toBeCloseTo(100 / 60, 10)
    expect(policy.emissionIntervalUs).toBe(600_000)
    expect(policy.burstUs).toBe(60_000_000)
  })

  it.each([
    [999_999, '1000000/s or 500000/s'],
    [600_000, '1000000/s or 500000/s'],
    [3_000, '3003.003/s or 2994.01198/s'],
  ])('rejects refillRate %s/s, which a µs clock would silently slow, naming the nearest exact rates', (rate, names) => {
    const error = configError(() => createPolicy({ capacity: 10, refillRate: rate }))
    expect(error.code).toBe('ERR_SPILLWAY_INEXACT_RATE')
    expect(error.option).toBe('refillRate')
    expect(error.message).toContain(names)
  })

  it('keeps every accepted rate within 0.1 % below the configured one, never above', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1_000_000, noNaN: true }), (rate) => {
        let policy: ReturnType<typeof createPolicy>
        try {
          policy = createPolicy({ capacity: 1, refillRate: rate })
        } catch (error) {
          expect((error as SpillwayConfigError).code).toBe('ERR_SPILLWAY_INEXACT_RATE')
          expect(rate).toBeGreaterThan(1000)
          return
        }
        const effective = 1e6 / policy.emissionIntervalUs
        expect(effective).toBeLessThanOrEqual(rate * (1 + 1e-12))
        expect(effective).toBeGreaterThanOrEqual(rate * (1 - 0.001))
      }),
      { numRuns: 2000 },
    )
    for (const exact of [1_000_000, 500_000, 250_000, 1000, 7, 100 / 60]) {
      expect(() => createPolicy({ capacity: 1, refillRate: exact })).not.toThrow()
    }
  })

  it('rounds the emission interval up, so the effective rate never exceeds the configured one', () => {
    const policy = createPolicy({ capacity: 3, refillRate: 3 })
    expect(policy.emissionIntervalUs).toBe(333_334)
    expect(1e6 / policy.emissionIntervalUs).toBeLessThanOrEqual(3)
  })
})

describe('limiter.consume', () => {
  it('rejects a cost above capacity per request, with no finite retry time', async () => {
    const limiter = createLimiter({ capacity: 5, refillRate: 1, store: new MemoryStore() })
    const decision = await limiter.consume('k', 6)
    expect(decision.allowed).toBe(false)
    expect(decision.retryAfterMs).toBe(Number.POSITIVE_INFINITY)
    expect(decision.remaining).toBe(5)
  })

  it('rejects a non-integer cost with a RangeError rather than corrupting the bucket', async () => {
    const limiter = createLimiter({ capacity: 5, refillRate: 1, store: new MemoryStore() })
    await expect(limiter.consume('k', 0.5)).rejects.toThrow(RangeError)
    await expect(limiter.consume('k', Number.NaN)).rejects.toThrow(/cost/)
  })

  it('rejects keys that are not non-empty strings instead of sharing one "[object Object]" bucket', async () => {
    const limiter = createLimiter({ capacity: 1, refillRate: 1, store: new MemoryStore() })
    for (const key of [{ id: 1 }, { id: 2 }, 42, undefined, null, '']) {
      await expect(limiter.consume(key as never)).rejects.toThrow(/key must be a non-empty string/)
    }
    expect((await limiter.consume('a')).allowed).toBe(true)
  })
})

describe('policy names on a shared store', () => {
  it('rejects a second, different policy under a name already used on the same store', () => {
    const shared = new MemoryStore()
    createLimiter({ capacity: 100, refillRate: 10, store: shared })
    const error = configError(() => createLimiter({ capacity: 5, refillRate: 1, store: shared }))
    expect(error.code).toBe('ERR_SPILLWAY_DUPLICATE_POLICY')
    expect(error.option).toBe('name')
    expect(error.message).toContain('capacity 100')
  })

  it('allows the same policy twice, different names, and the same name on another store', () => {
    const shared = new MemoryStore()
    createLimiter({ capacity: 100, refillRate: 10, store: shared })
    expect(() => createLimiter({ capacity: 100, refillRate: 10, store: shared, cost: 2 })).not.toThrow()
    expect(() => createLimiter({ name: 'login', capacity: 5, refillRate: 1, store: shared })).not.toThrow()
    expect(() => createLimiter({ capacity: 5, refillRate: 1, store: new MemoryStore() })).not.toThrow()
  })
})
