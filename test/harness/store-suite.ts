// One behaviour suite for every Store: the same cases, the same expected decisions, real (short) waits.
import type { Decision, Policy, Store } from '@spillway/core'
import { createPolicy, describeDecision, storeKey } from '@spillway/core/store'
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

    it('peeks without taking: remaining, next token and full times, and allowed when one token is there', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'peek', capacity: 3, refillRate: 0.5 }) // 2 s per token
      expect(await peek(store, 'k', policy)).toMatchObject({ allowed: true, remaining: 3, nextTokenMs: 0, resetMs: 0 })
      await decide(store, 'k', policy, 2)
      const state = await peek(store, 'k', policy)
      expect(state).toMatchObject({ allowed: true, remaining: 1 })
      expect(state.nextTokenMs).toBeGreaterThan(1000)
      expect(state.nextTokenMs).toBeLessThanOrEqual(2000)
      expect(state.resetMs).toBeGreaterThan(3000)
      expect(state.resetMs).toBeLessThanOrEqual(4000)
      // Peeking took nothing: the last token is still there, then none.
      expect(await decide(store, 'k', policy, 1)).toMatchObject({ allowed: true, remaining: 0 })
      expect(await peek(store, 'k', policy)).toMatchObject({ allowed: false, remaining: 0 })
    })

    it('resets a bucket to full, and only that bucket', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'reset', capacity: 2, refillRate: 0.1 })
      await drain(store, 'a', policy)
      await drain(store, 'b', policy)
      await store.reset?.(storeKey(policy.name, 'a'), policy)
      expect(await peek(store, 'a', policy)).toMatchObject({ remaining: 2, resetMs: 0 })
      expect(await decide(store, 'a', policy, 2)).toMatchObject({ allowed: true, remaining: 0 })
      expect((await decide(store, 'b', policy, 1)).allowed).toBe(false)
      await store.reset?.(storeKey(policy.name, 'never-seen'), policy)
    })

    it('refunds tokens, never above the capacity', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'refund', capacity: 3, refillRate: 0.1 }) // 10 s per token
      await drain(store, 'k', policy)
      const afterOne = await refund(store, 'k', policy, 1)
      expect(afterOne).toMatchObject({ allowed: true, remaining: 1 })
      expect(await decide(store, 'k', policy, 1)).toMatchObject({ allowed: true, remaining: 0 })
      expect((await decide(store, 'k', policy, 1)).allowed).toBe(false)
      // Ten tokens back into a bucket of three: full, and a burst of exactly three follows.
      expect(await refund(store, 'k', policy, 10)).toMatchObject({ remaining: 3, resetMs: 0 })
      expect(await refund(store, 'never-seen', policy, 5)).toMatchObject({ remaining: 3, resetMs: 0 })
      for (const remaining of [2, 1, 0]) expect(await decide(store, 'k', policy, 1)).toMatchObject({ remaining })
      expect((await decide(store, 'k', policy, 1)).allowed).toBe(false)
    })

    it('refunds atomically: concurrent refunds and decisions never mint more than they give back', async () => {
      const store = await open()
      const policy = createPolicy({ name: 'refund-race', capacity: 10, refillRate: 0.01 })
      await drain(store, 'k', policy)
      // 5 refunds of one token race 20 decisions: exactly 5 of those can be admitted.
      const key = storeKey(policy.name, 'k')
      const refunds = Array.from({ length: 5 }, () => store.refund?.(key, policy, 1))
      const decisions = await decideAll(
        store,
        Array.from({ length: 20 }, () => ({ key: 'k', policy, cost: 1 })),
      )
      await Promise.all(refunds)
      const admitted = decisions.filter((d) => d.allowed).length + (await peek(store, 'k', policy)).remaining
      expect(admitted).toBe(5)
    })
  })
}

/** The bucket's state, through the store's `peek`, as the limiter describes it. */
async function peek(store: Store, key: string, policy: Policy): Promise<Decision> {
  if (!store.peek) throw new Error(`the ${store.name} store has no peek()`)
  return describeDecision(policy, await store.peek(storeKey(policy.name, key), policy), 1)
}

async function refund(store: Store, key: string, policy: Policy, tokens: number): Promise<Decision> {
  if (!store.refund) throw new Error(`the ${store.name} store has no refund()`)
  return describeDecision(policy, await store.refund(storeKey(policy.name, key), policy, tokens), 1)
}

async function drain(store: Store, key: string, policy: Policy): Promise<void> {
  for (let i = 0; i < policy.capacity; i++) {
    expect((await decide(store, key, policy, 1)).allowed).toBe(true)
  }
}
