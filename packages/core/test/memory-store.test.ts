// MemoryStore: monotonic clock, forgetting full buckets, the key bound, clock jumps.
import { describe, expect, it } from 'vitest'
import { decide } from '../../../test/harness/decide.js'
import { createLimiter, MemoryStore } from '../src/index.js'
import { createPolicy } from '../src/store.js'

function setup(options: { maxKeys?: number } = {}) {
  const clock = { nowUs: 5_000_000 }
  const store = new MemoryStore({ ...options, clock: () => clock.nowUs })
  const limiter = createLimiter({ capacity: 3, refillRate: 1, store })
  return { clock, store, limiter }
}

describe('MemoryStore', () => {
  it('admits a burst of capacity, then rejects with the time until the next token', async () => {
    const { limiter } = setup()
    const allowed = []
    for (let i = 0; i < 4; i++) allowed.push((await limiter.consume('a')).allowed)
    expect(allowed).toEqual([true, true, true, false])
    const rejected = await limiter.consume('a')
    expect(rejected.retryAfterMs).toBe(1000)
    expect(rejected.resetMs).toBe(3000)
    expect(rejected.remaining).toBe(0)
  })

  it('refills continuously, not in ticks', async () => {
    const { clock, limiter } = setup()
    for (let i = 0; i < 3; i++) await limiter.consume('a')
    clock.nowUs += 999_999
    expect((await limiter.consume('a')).allowed).toBe(false)
    clock.nowUs += 1
    const decision = await limiter.consume('a')
    expect(decision.allowed).toBe(true)
    expect(decision.remaining).toBe(0)
  })

  it('forgets buckets once they are full again', async () => {
    const { clock, store, limiter } = setup()
    await limiter.consume('a')
    await limiter.consume('b')
    expect(store.size).toBe(2)
    clock.nowUs += 1_000_001
    await limiter.consume('c')
    expect(store.size).toBe(1)
  })

  it('bounds the number of keys under a flood, evicting the least recently used', async () => {
    const { store, limiter } = setup({ maxKeys: 100 })
    for (let i = 0; i < 3; i++) await limiter.consume('victim')
    for (let i = 0; i < 1000; i++) await limiter.consume(`flood-${i}`)
    expect(store.size).toBe(100)
    // The victim's bucket was evicted: it is full again (the documented cost of eviction).
    expect((await limiter.consume('victim')).allowed).toBe(true)
  })

  it('keeps recently used keys when evicting', async () => {
    const { store, limiter } = setup({ maxKeys: 10 })
    for (let i = 0; i < 3; i++) await limiter.consume('hot')
    for (let i = 0; i < 50; i++) {
      await limiter.consume(`flood-${i}`)
      if (i % 5 === 0) await limiter.consume('hot')
    }
    expect(store.size).toBe(10)
    expect((await limiter.consume('hot')).allowed).toBe(false)
  })

  it('never mints more than capacity after a forward clock jump', async () => {
    const { clock, limiter } = setup()
    await limiter.consume('a')
    clock.nowUs += 3600e6
    let admitted = 0
    for (let i = 0; i < 10; i++) if ((await limiter.consume('a')).allowed) admitted++
    expect(admitted).toBe(3)
  })

  it('does not freeze refills after a backward clock jump', async () => {
    const { clock, limiter } = setup()
    for (let i = 0; i < 3; i++) await limiter.consume('a')
    clock.nowUs -= 3600e6
    expect((await limiter.consume('a')).allowed).toBe(false)
    clock.nowUs += 1_000_000
    expect((await limiter.consume('a')).allowed).toBe(true)
  })

  it('keeps policies apart for the same key', async () => {
    const store = new MemoryStore()
    const strict = createPolicy({ name: 'strict', capacity: 1, refillRate: 0.001 })
    const loose = createPolicy({ name: 'loose', capacity: 1, refillRate: 0.001 })
    expect((await decide(store, 'k', strict, 1)).allowed).toBe(true)
    expect((await decide(store, 'k', loose, 1)).allowed).toBe(true)
    expect((await decide(store, 'k', strict, 1)).allowed).toBe(false)
  })

  it('validates its own options', () => {
    expect(() => new MemoryStore({ maxKeys: 0 })).toThrow(/MemoryStore.maxKeys/)
    expect(() => new MemoryStore({ clock: 5 as never })).toThrow(/MemoryStore.clock/)
    expect(() => new MemoryStore({ max: 5 } as never)).toThrow(/MemoryStore.max/)
  })

  it('evicts a bucket that is already full before one that is still counting', async () => {
    const clock = { nowUs: 0 }
    const store = new MemoryStore({ maxKeys: 3, clock: () => clock.nowUs })
    const slow = createPolicy({ name: 'slow', capacity: 1, refillRate: 0.001 })
    const fast = createPolicy({ name: 'fast', capacity: 1, refillRate: 1000 })
    await decide(store, 'a', slow, 1)
    await decide(store, 'b', slow, 1)
    await decide(store, 'c', fast, 1)
    clock.nowUs += 10_000 // c's bucket is full again, a and b are not
    await decide(store, 'd', slow, 1)
    expect(store.size).toBe(3)
    expect((await decide(store, 'a', slow, 1)).allowed).toBe(false)
    expect((await decide(store, 'b', slow, 1)).allowed).toBe(false)
  })

  it('keeps policies whose names contain ":" apart from keys that do', async () => {
    const store = new MemoryStore()
    const a = createPolicy({ name: 'a', capacity: 1, refillRate: 0.001 })
    const ab = createPolicy({ name: 'a:b', capacity: 1, refillRate: 0.001 })
    expect((await decide(store, 'b:c', a, 1)).allowed).toBe(true)
    expect((await decide(store, 'c', ab, 1)).allowed).toBe(true)
  })
})
