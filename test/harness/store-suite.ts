// One behaviour suite for every Store: the same cases, the same expected decisions, real (short) waits.
import type { Policy, Store } from '@spillway/core'
import { createPolicy } from '@spillway/core/store'
import { afterEach, describe, expect, it } from 'vitest'
import { decide, decideAll } from './decide.js'

/** Makes a fresh, empty store for one test (e.g. a RedisStore with a random prefix). */
export type MakeStore = () => Store | Promise<Store>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Timers may fire up to about a millisecond early; the store's clock is not the timer's. */
const TIMER_SLACK_MS = 3

/**
 * Registers the store behaviour cases under `describe(name)`.
 *
 * @example
 * ```ts
 * testStore('MemoryStore', () => new MemoryStore())
 * ```
 */
export function testStore(name: string, makeStore: MakeStore): void {
  describe(`store suite: ${name}`, () => {
    let opened: Store[] = []
    const open = async () => {
      const store = await makeStore()
      opened.push(store)
      return store
    }
    afterEach(async () => {
      await Promise.all(opened.map((store) => store.close?.()))
      opened = []
    })

    it('admits a burst of B, then rejects with a retry time within one interval', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'burst', capacity: 5, refillRate: 0.5 }) // 2 s per token
      const remaining: number[] = []
      for (let i = 0; i < 5; i++) {
        const decision = await decide(store, 'k', policy, 1)
        expect(decision.allowed).toBe(true)
        remaining.push(decision.remaining)
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0])
      const rejected = await decide(store, 'k', policy, 1)
      expect(rejected).toMatchObject({ allowed: false, remaining: 0, limit: 5, cost: 1 })
      expect(rejected.retryAfterMs).toBeGreaterThan(0)
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(2000)
      // Full in (B − 1) intervals more than the next token: 8 s, ±1 from rounding each up.
      expect(Math.abs(rejected.resetMs - rejected.retryAfterMs - 8000)).toBeLessThanOrEqual(1)
    })

    // Real waits of 500 ms and more: a loaded machine can only make a wait longer, and a token that is
    // due after 500 ms cannot arrive between two calls made back to back.
    it('refills after waiting', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'refill', capacity: 2, refillRate: 2 }) // 500 ms per token
      await drain(store, 'k', policy)
      const rejected = await decide(store, 'k', policy, 1)
      expect(rejected.allowed).toBe(false)
      await sleep(rejected.retryAfterMs + TIMER_SLACK_MS)
      expect((await decide(store, 'k', policy, 1)).allowed).toBe(true)
      const again = await decide(store, 'k', policy, 2)
      expect(again.allowed).toBe(false)
      await sleep(again.retryAfterMs + TIMER_SLACK_MS)
      expect((await decide(store, 'k', policy, 2)).allowed).toBe(true)
    })

    it('takes cost > 1 tokens at once, and only when they are all there', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'cost', capacity: 5, refillRate: 1 })
      expect(await decide(store, 'k', policy, 3)).toMatchObject({ allowed: true, remaining: 2, cost: 3 })
      expect(await decide(store, 'k', policy, 3)).toMatchObject({ allowed: false, remaining: 2, cost: 3 })
      expect(await decide(store, 'k', policy, 2)).toMatchObject({ allowed: true, remaining: 0 })
    })

    it('never admits a cost above the capacity: retryAfterMs is Infinity and nothing is taken', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'huge', capacity: 3, refillRate: 1 })
      const decision = await decide(store, 'k', policy, 4)
      expect(decision).toMatchObject({ allowed: false, remaining: 3, retryAfterMs: Number.POSITIVE_INFINITY })
      expect((await decide(store, 'k', policy, 3)).allowed).toBe(true)
    })

    it('keeps separate keys independent', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'keys', capacity: 2, refillRate: 1 })
      await drain(store, 'a', policy)
      expect((await decide(store, 'a', policy, 1)).allowed).toBe(false)
      expect(await decide(store, 'b', policy, 1)).toMatchObject({ allowed: true, remaining: 1 })
    })

    it('keeps policies with the same key independent', async () => {
      const store = await open()
      const first = createPolicy({ name: 'first', capacity: 2, refillRate: 1 })
      const second = createPolicy({ name: 'second', capacity: 2, refillRate: 1 })
      await drain(store, 'k', first)
      expect((await decide(store, 'k', first, 1)).allowed).toBe(false)
      expect(await decide(store, 'k', second, 1)).toMatchObject({ allowed: true, remaining: 1 })
    })

    it('admits a retry made after retryAfterMs, not before', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'retry', capacity: 1, refillRate: 2 }) // 500 ms per token
      expect((await decide(store, 'k', policy, 1)).allowed).toBe(true)
      const rejected = await decide(store, 'k', policy, 1)
      expect(rejected.allowed).toBe(false)
      expect(rejected.retryAfterMs).toBeGreaterThan(0)
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(500)
      await sleep(rejected.retryAfterMs + TIMER_SLACK_MS)
      expect((await decide(store, 'k', policy, 1)).allowed).toBe(true)
    })

    it('decides concurrent steps on several buckets each on its own, in any order', async () => {
      const store = await open()
      const small = createPolicy({ name: 'small', capacity: 2, refillRate: 1 })
      const large = createPolicy({ name: 'large', capacity: 10, refillRate: 1 })
      const decisions = await decideAll(store, [
        { key: 'a', policy: large, cost: 10 },
        { key: 'b', policy: small, cost: 2 },
        { key: 'a', policy: small, cost: 2 },
      ])
      expect(decisions.map((d) => [d.policy.name, d.cost, d.allowed, d.remaining])).toEqual([
        ['large', 10, true, 0],
        ['small', 2, true, 0],
        ['small', 2, true, 0],
      ])
    })
  })
}

async function drain(store: Store, key: string, policy: Policy): Promise<void> {
  for (let i = 0; i < policy.capacity; i++) {
    expect((await decide(store, key, policy, 1)).allowed).toBe(true)
  }
}
