// retryJitter: a bounded random delay on Retry-After and the reset hints, never below the true wait.
// -10 §8.5 (Resource exhaustion): "servers must be aware that many throttled clients may come back at the
// very moment specified. This is true for Retry-After too. … This could be mitigated by adding some jitter
// to the reset value."
import { parseList } from 'structured-headers'
import { describe, expect, it } from 'vitest'
import { type HeaderOptions, rateLimitHeaders, resolveRateLimitOptions } from '../src/adapter.js'
import { createLimiter, type Decision, MemoryStore, SpillwayConfigError } from '../src/index.js'

async function rejection(): Promise<Decision> {
  const limiter = createLimiter({ capacity: 2, refillRate: 0.5, store: new MemoryStore({ clock: () => 0 }) })
  await limiter.consume('k')
  await limiter.consume('k')
  return limiter.consume('k') // retry in 2 s, next token in 2 s
}

/** A reproducible uniform source (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const value = (fields: ReturnType<typeof rateLimitHeaders>, name: string) => fields.find((f) => f.name === name)?.value

describe('retryJitter', () => {
  it('never states a wait below the true one, nor more than maxMs (rounded up to the second) above it', async () => {
    const decision = await rejection()
    const random = seeded(14)
    const options: HeaderOptions = { standard: 'draft-6', legacy: true, jitterMaxMs: 5000, random }
    for (let i = 0; i < 500; i++) {
      const fields = rateLimitHeaders(decision, options)
      const retryAfter = Number(value(fields, 'Retry-After'))
      expect(retryAfter * 1000).toBeGreaterThanOrEqual(decision.retryAfterMs)
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil((decision.retryAfterMs + 5000) / 1000))
      // -06 §4: RateLimit-Reset "SHOULD reference the same point in time as the Retry-After field value".
      expect(value(fields, 'RateLimit-Reset')).toBe(String(retryAfter))
      expect(value(fields, 'X-RateLimit-Reset')).toBe(String(retryAfter))
    }
  })

  it('spreads clients told one instant over the jitter window; without it they all get one second', async () => {
    const decision = await rejection()
    const draw = (options: HeaderOptions) =>
      new Set(Array.from({ length: 200 }, () => value(rateLimitHeaders(decision, options), 'Retry-After')))
    expect(draw({ standard: 'draft-11', legacy: false })).toEqual(new Set(['2']))
    const spread = draw({ standard: 'draft-11', legacy: false, jitterMaxMs: 5000, random: seeded(7) })
    // 2 s + a delay of 0 … 5 s: five whole seconds, each about as likely (2 itself needs a delay of exactly 0).
    expect([...spread].sort()).toEqual(['3', '4', '5', '6', '7'])
  })

  it('moves the draft-10 and draft-11 t by the same delay as Retry-After, in one response', async () => {
    const decision = await rejection()
    for (const standard of ['draft-10', 'draft-11'] as const) {
      // The delay drawn is ⌊0.999 × 5001⌋ = 4995 ms: 2 s + 4.995 s → 7 s.
      const fields = rateLimitHeaders(decision, { standard, legacy: false, jitterMaxMs: 5000, random: () => 0.999 })
      expect(value(fields, 'Retry-After')).toBe('7')
      const [[, params]] = parseList(value(fields, 'RateLimit') as string) as [[unknown, Map<string, unknown>]]
      expect(params.get('t')).toBe(7)
    }
  })

  it('is off by default, and validated once like every option', () => {
    const base = { capacity: 5, refillRate: 1 }
    expect(resolveRateLimitOptions(base).headers.jitterMaxMs).toBe(0)
    expect(resolveRateLimitOptions({ ...base, retryJitter: 2000 }).headers.jitterMaxMs).toBe(2000)
    expect(resolveRateLimitOptions({ ...base, retryJitter: { maxMs: 750 } }).headers.jitterMaxMs).toBe(750)
    for (const [retryJitter, option] of [
      [-1, 'retryJitter'],
      [1.5, 'retryJitter'],
      ['1s', 'retryJitter'],
      [null, 'retryJitter'],
      [{ maxMs: 3_600_001 }, 'retryJitter.maxMs'],
      [{ max: 100 }, 'retryJitter.max'],
    ] as const) {
      const build = () => resolveRateLimitOptions({ ...base, retryJitter: retryJitter as never })
      expect(build).toThrow(SpillwayConfigError)
      expect(build).toThrow(expect.objectContaining({ option }))
    }
  })
})
