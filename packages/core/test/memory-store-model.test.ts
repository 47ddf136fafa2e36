// MemoryStore against a model of its bookkeeping: the same decisions and the same buckets kept, step by step.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide } from '../../../test/harness/decide.js'
import { stepBucket } from '../src/bucket.js'
import { MemoryStore } from '../src/index.js'
import { createPolicy } from '../src/store.js'
import type { Policy } from '../src/types.js'

/**
 * The documented bookkeeping, written the obvious way (a Map whose insertion order is the LRU order,
 * O(n) per call): the two least recently used buckets are dropped if full; past maxKeys a full bucket
 * among the 16 least recently used goes, else the least recently used one.
 */
class ModelStore {
  readonly tatByKey = new Map<string, number>()
  constructor(private readonly maxKeys: number) {}

  consume(key: string, policy: Policy, cost: number, nowUs: number): boolean {
    const storeKey = `${policy.name}\0${key}`
    const step = stepBucket(policy, { tatUs: this.tatByKey.get(storeKey), nowUs, cost })
    this.tatByKey.delete(storeKey)
    if (step.tatUs > nowUs) this.tatByKey.set(storeKey, step.tatUs)
    for (const [oldKey, tatUs] of [...this.tatByKey].slice(0, 2)) if (tatUs <= nowUs) this.tatByKey.delete(oldKey)
    while (this.tatByKey.size > this.maxKeys) {
      const lru = [...this.tatByKey].slice(0, 16)
      const victim = lru.find(([, tatUs]) => tatUs <= nowUs) ?? lru[0]
      this.tatByKey.delete(victim?.[0] as string)
    }
    return step.allowed
  }
}

const policies = [
  createPolicy({ name: 'fast', capacity: 2, refillRate: 1_000 }),
  createPolicy({ name: 'slow', capacity: 3, refillRate: 1 }),
]

const operations = fc.array(
  fc.record({
    key: fc.integer({ min: 0, max: 30 }),
    policy: fc.integer({ min: 0, max: policies.length - 1 }),
    cost: fc.integer({ min: 1, max: 4 }),
    gapUs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 3_000_000 })),
  }),
  { maxLength: 300 },
)

describe('MemoryStore bookkeeping', () => {
  it('decides and keeps buckets exactly as the model does (sweep, LRU bound, full buckets evicted first)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 20 }), operations, async (maxKeys, steps) => {
        const clock = { nowUs: 1_000_000 }
        const store = new MemoryStore({ maxKeys, clock: () => clock.nowUs })
        const model = new ModelStore(maxKeys)
        for (const { key, policy: index, cost, gapUs } of steps) {
          clock.nowUs += gapUs
          const policy = policies[index] as Policy
          const decision = await decide(store, `k${key}`, policy, cost)
          expect(decision.allowed).toBe(model.consume(`k${key}`, policy, cost, clock.nowUs))
          expect(store.size).toBe(model.tatByKey.size)
        }
        // The same buckets survived: each one's next decision matches, least recently used first.
        for (const storeKey of [...model.tatByKey.keys()]) {
          const [name, key] = storeKey.split('\0') as [string, string]
          const policy = policies.find((p) => p.name === name) as Policy
          expect((await decide(store, key, policy, 1)).allowed).toBe(model.consume(key, policy, 1, clock.nowUs))
        }
      }),
      { numRuns: 300 },
    )
  })

  it('starts afresh after clear() and reuses freed room', async () => {
    const clock = { nowUs: 0 }
    const store = new MemoryStore({ maxKeys: 3, clock: () => clock.nowUs })
    const slow = policies[1] as Policy
    for (const key of ['a', 'b', 'c']) await decide(store, key, slow, 3)
    store.clear()
    expect(store.size).toBe(0)
    expect((await decide(store, 'a', slow, 3)).allowed).toBe(true)
    for (const key of ['d', 'e', 'f', 'g']) await decide(store, key, slow, 3)
    expect(store.size).toBe(3)
    expect((await decide(store, 'g', slow, 1)).allowed).toBe(false)
    expect((await decide(store, 'a', slow, 1)).allowed).toBe(true) // evicted: full again
  })
})
