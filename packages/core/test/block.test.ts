// blockDuration: exact blocks in MemoryStore, in-process rejections for stores that answer later, and its options.
import { describe, expect, it } from 'vitest'
import { blockLengthUs, parseBlockDuration, stepBlockedBucket } from '../src/block.js'
import { stepBucket } from '../src/bucket.js'
import { SpillwayConfigError } from '../src/errors.js'
import { createLimiter } from '../src/limiter.js'
import { MemoryStore } from '../src/memory-store.js'
import { createPolicy } from '../src/policy.js'
import { withFallback } from '../src/store-fallback.js'
import type { Policy, StepResult, Store } from '../src/types.js'
import { ScriptedStore } from './test-stores.js'

function blockingLimiter(blockDuration: unknown, capacity = 2) {
  const clock = { nowUs: 1_000_000 }
  const store = new MemoryStore({ clock: () => clock.nowUs })
  const options = { capacity, refillRate: 1, store, blockDuration: blockDuration as '1s' }
  return { clock, store, limiter: createLimiter(options) }
}

/** A store that knows nothing of blocks: the plain bucket step, answered later. */
class PlainStore implements Store {
  readonly name = 'plain'
  calls = 0
  readonly #tat = new Map<string, number>()
  consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    this.calls++
    const step = stepBucket(policy, { tatUs: this.#tat.get(key), nowUs: 0, cost })
    this.#tat.set(key, step.tatUs)
    return Promise.resolve({ allowed: step.allowed, debtUs: step.debtUs })
  }
}

describe('blockDuration options', () => {
  it('takes a duration or an escalating block', () => {
    expect(parseBlockDuration('15m')).toEqual({ durationUs: 9e8, maxDurationUs: 9e8, factor: 1 })
    expect(parseBlockDuration({ initial: '1s', max: '1m' })).toEqual({ durationUs: 1e6, maxDurationUs: 6e7, factor: 2 })
    expect(createPolicy({ capacity: 1, refillRate: 1, blockDuration: 500 }).block?.durationUs).toBe(500_000)
    expect(createPolicy({ capacity: 1, refillRate: 1 })).not.toHaveProperty('block')
  })

  it.each([
    [0, 'blockDuration'],
    ['soon', 'blockDuration'],
    [{ initial: '1m', max: '1s' }, 'blockDuration.max'],
    [{ initial: '1s', max: '1m', factor: 0.5 }, 'blockDuration.factor'],
    [{ initial: '1s', max: '1m', extra: 1 }, 'blockDuration.extra'],
    [null, 'blockDuration'],
  ])('rejects %j with a coded error naming %s', (value, option) => {
    const build = () =>
      createLimiter({ capacity: 1, refillRate: 1, store: new MemoryStore(), blockDuration: value as 1 })
    expect(build).toThrow(SpillwayConfigError)
    expect(build).toThrow(option)
  })

  it('escalates each block by the factor, bounded by max', () => {
    const block = { durationUs: 1e6, maxDurationUs: 5e6, factor: 2 }
    expect([0, 1, 2, 3, 4, 64].map((level) => blockLengthUs(block, level))).toEqual([1e6, 2e6, 4e6, 5e6, 5e6, 5e6])
  })
})

describe('blockDuration in MemoryStore', () => {
  it('keeps a rejected key rejected for the block, with Retry-After telling when it ends', () => {
    const { clock, limiter } = blockingLimiter('10s')
    expect(limiter.consumeSync('k').allowed).toBe(true)
    expect(limiter.consumeSync('k').allowed).toBe(true)
    expect(limiter.consumeSync('k')).toMatchObject({
      allowed: false,
      retryAfterMs: 10_000,
      blockedMs: 10_000,
      remaining: 0,
    })
    clock.nowUs += 5_000_000 // the bucket is full again, the key still blocked
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: false, retryAfterMs: 5000, blockedMs: 5000 })
    clock.nowUs += 4_999_000
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: false, retryAfterMs: 1 })
    clock.nowUs += 1000
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: true, remaining: 1 })
    expect(limiter.consumeSync('other').allowed).toBe(true)
  })

  it('says the later of the block end and the bucket retry, so a client that waits it is admitted', () => {
    const { clock, limiter } = blockingLimiter('1s', 5)
    limiter.consumeSync('k', 5)
    const rejected = limiter.consumeSync('k', 5)
    expect(rejected).toMatchObject({ allowed: false, retryAfterMs: 5000, blockedMs: 1000 })
    clock.nowUs += rejected.retryAfterMs * 1000
    expect(limiter.consumeSync('k', 5).allowed).toBe(true)
  })

  it('escalates each new block, bounded, and forgets the level after max', () => {
    const { clock, limiter } = blockingLimiter({ initial: '1s', max: '4s' }, 1)
    const blocks: number[] = []
    for (let i = 0; i < 5; i++) {
      limiter.consumeSync('k') // admitted: a full bucket (the block was long enough to refill it)
      const rejected = limiter.consumeSync('k')
      blocks.push(rejected.blockedMs ?? 0)
      clock.nowUs += Math.max(rejected.retryAfterMs, 1000) * 1000
    }
    expect(blocks).toEqual([1000, 2000, 4000, 4000, 4000])
    clock.nowUs += 4_000_000 // no block for max: the level is forgotten
    limiter.consumeSync('k')
    expect(limiter.consumeSync('k').blockedMs).toBe(1000)
  })

  it('never blocks a cost above capacity (its rejection says nothing of the client rate)', () => {
    const { limiter } = blockingLimiter('10s')
    expect(limiter.consumeSync('k', 3)).toMatchObject({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY })
    expect(limiter.consumeSync('k').allowed).toBe(true)
  })

  it('ends a block on reset', async () => {
    const { limiter } = blockingLimiter('1m', 1)
    limiter.consumeSync('k')
    expect(limiter.consumeSync('k').blockedMs).toBe(60_000)
    await limiter.reset('k')
    expect(limiter.consumeSync('k').allowed).toBe(true)
  })

  it('clamps a block to max after the clock went back', () => {
    const policy = createPolicy({ capacity: 1, refillRate: 1, blockDuration: '2s' })
    const block = policy.block as NonNullable<Policy['block']>
    const step = stepBlockedBucket(policy, block, { tatUs: 0, nowUs: 0, cost: 1, record: { untilUs: 9e12, level: 0 } })
    expect(step).toMatchObject({ allowed: false, blockedUs: 2e6 })
  })
})

describe('blockDuration with a store that answers later', () => {
  it('rejects a blocked key in-process: the store is not asked until the block ends', async () => {
    const store = new ScriptedStore()
    const limiter = createLimiter({ capacity: 2, refillRate: 1, store, blockDuration: '1m' })
    const decisions = []
    for (let i = 0; i < 1000; i++) decisions.push(await limiter.consume('k'))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(2)
    expect(decisions.at(-1)).toMatchObject({ allowed: false, blockedMs: expect.any(Number) })
    expect((decisions.at(-1)?.retryAfterMs ?? 0) / 1000).toBeGreaterThan(55)
    expect(store.calls).toBe(3)
    await limiter.reset('k')
    expect((await limiter.consume('k')).allowed).toBe(true)
  })

  it('rejects a known-empty key in-process until the time the store gave', async () => {
    const store = new ScriptedStore() // its clock stands still: the bucket never refills
    const limiter = createLimiter({ capacity: 3, refillRate: 0.01, store })
    let allowed = 0
    for (let i = 0; i < 1000; i++) if ((await limiter.consume('k')).allowed) allowed++
    expect(allowed).toBe(3)
    expect(store.calls).toBe(4)
    // A smaller or larger cost is decided on what is known too: still empty for both.
    expect((await limiter.consume('k', 1)).retryAfterMs).toBeGreaterThan(90_000)
    expect(store.calls).toBe(4)
    await limiter.refund('k', 1) // through this limiter: the store is asked again
    expect((await limiter.consume('k')).allowed).toBe(true)
  })

  it('keeps blocks in the limiter for a store that keeps none', async () => {
    const store = new PlainStore()
    const limiter = createLimiter({ capacity: 1, refillRate: 1, store, blockDuration: '30s' })
    expect((await limiter.consume('k')).allowed).toBe(true)
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, blockedMs: 30_000 })
    for (let i = 0; i < 100; i++) expect((await limiter.consume('k')).allowed).toBe(false)
    expect(store.calls).toBe(2)
  })

  it('keeps a blocked key blocked when the remote store fails and the fallback decides', async () => {
    const remote = new ScriptedStore()
    const store = withFallback(remote)
    const limiter = createLimiter({ capacity: 1, refillRate: 1, store, blockDuration: '1m' })
    await limiter.consume('k')
    expect((await limiter.consume('k')).blockedMs).toBe(60_000)
    remote.behaviour = 'fail'
    const during = await limiter.consume('k')
    expect(during).toMatchObject({ allowed: false })
    expect(during.retryAfterMs).toBeGreaterThan(50_000)
    // A key first seen during the outage is blocked by the fallback's own MemoryStore.
    expect((await limiter.consume('fresh')).allowed).toBe(true)
    expect(await limiter.consume('fresh')).toMatchObject({ allowed: false, blockedMs: 60_000, source: 'fallback' })
  })
})
