// One suite for every store's all-or-nothing step (consumeAll): the same cases on memory, Redis and Redis Cluster.
import type { ConsumeStep, Policy, Store } from '@spillway/core'
import { createPolicy, describeDecision, storeKey } from '@spillway/core/store'
import { afterEach, describe, expect, it } from 'vitest'
import type { MakeStore } from './store-suite.js'

/** One token an hour: nothing refills during a case, so every count is exact. */
const policyOf = (name: string, capacity: number) =>
  createPolicy({ name, capacity, refillRate: { tokens: 1, per: '1h' } })
const GLOBAL = policyOf('global', 5)
const LOGIN = policyOf('login', 2)
const API_KEY = policyOf('apikey', 3)

const step = (policy: Policy, client: string, cost = 1, held = false): ConsumeStep => ({
  key: storeKey(policy.name, client),
  policy,
  cost,
  ...(held && { held }),
})

/** Tokens left in `policy`'s bucket of `client`. */
async function left(store: Store, policy: Policy, client: string): Promise<number> {
  const state = await (store.peek as NonNullable<Store['peek']>).call(store, storeKey(policy.name, client), policy)
  return describeDecision(policy, state, 1).remaining
}

async function all(store: Store, steps: readonly ConsumeStep[]): Promise<{ allowed: boolean[]; remaining: number[] }> {
  const results = await (store.consumeAll as NonNullable<Store['consumeAll']>).call(store, steps)
  return {
    allowed: results.map((result) => result.allowed),
    remaining: results.map((result, i) => describeDecision((steps[i] as ConsumeStep).policy, result, 1).remaining),
  }
}

/**
 * Registers the all-or-nothing cases under `describe(name)`; the store must have `consumeAll` and `peek`.
 *
 * @example
 * ```ts
 * testConsumeAll('MemoryStore', () => new MemoryStore())
 * ```
 */
export function testConsumeAll(name: string, makeStore: MakeStore): void {
  describe(`consumeAll suite: ${name}`, () => {
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

    it('takes from every bucket when every one has the tokens', async () => {
      const store = await open()
      expect(await all(store, [step(GLOBAL, 'ip1'), step(LOGIN, 'ip1')])).toEqual({
        allowed: [true, true],
        remaining: [4, 1],
      })
      expect([await left(store, GLOBAL, 'ip1'), await left(store, LOGIN, 'ip1')]).toEqual([4, 1])
    })

    it('takes from none when one rejects, and says which had the tokens', async () => {
      const store = await open()
      for (let i = 0; i < 2; i++) await all(store, [step(GLOBAL, 'ip1'), step(LOGIN, 'ip1')])
      for (let i = 0; i < 5; i++) {
        expect(await all(store, [step(GLOBAL, 'ip1'), step(LOGIN, 'ip1')])).toEqual({
          allowed: [true, false],
          remaining: [3, 0],
        })
      }
      expect(await left(store, GLOBAL, 'ip1')).toBe(3)
    })

    it('never admits a cost above a capacity, and takes nothing from the others', async () => {
      const store = await open()
      expect((await all(store, [step(GLOBAL, 'ip1'), step(LOGIN, 'ip1', 3)])).allowed).toEqual([true, false])
      expect(await left(store, GLOBAL, 'ip1')).toBe(5)
    })

    it('gives held tokens back when the decision rejects, and keeps them when it admits', async () => {
      const store = await open()
      await store.consume(storeKey(GLOBAL.name, 'ip1'), GLOBAL, 1) // an app-wide middleware took one
      expect(await all(store, [step(LOGIN, 'ip1'), step(GLOBAL, 'ip1', 1, true)])).toEqual({
        allowed: [true, true],
        remaining: [1, 4],
      })
      await store.consume(storeKey(GLOBAL.name, 'ip1'), GLOBAL, 1)
      expect(await all(store, [step(LOGIN, 'ip1', 2), step(GLOBAL, 'ip1', 1, true)])).toEqual({
        allowed: [false, true],
        remaining: [1, 4],
      })
      expect([await left(store, GLOBAL, 'ip1'), await left(store, LOGIN, 'ip1')]).toEqual([4, 1])
    })

    it('decides identities in different hash slots together (an IP and an API key)', async () => {
      const store = await open()
      for (let i = 0; i < 3; i++) await all(store, [step(GLOBAL, '198.51.100.9'), step(API_KEY, 'key-42')])
      expect(await all(store, [step(GLOBAL, '198.51.100.9'), step(API_KEY, 'key-42')])).toEqual({
        allowed: [true, false],
        remaining: [2, 0],
      })
      expect(await left(store, GLOBAL, '198.51.100.9')).toBe(2)
    })

    it('decides requests made together as if one after another, each all-or-nothing (a store may batch them)', async () => {
      const store = await open()
      // Five requests of ip1 at once (global 5, login 2) among three of ip2 (global 5, login with cost 2).
      const ip1 = () => all(store, [step(GLOBAL, 'ip1'), step(LOGIN, 'ip1')])
      const ip2 = () => all(store, [step(LOGIN, 'ip2', 2), step(GLOBAL, 'ip2')])
      const outcomes = await Promise.all([ip1(), ip2(), ip1(), ip1(), ip2(), ip1(), ip2(), ip1()])
      expect(outcomes.map((outcome) => outcome.allowed)).toEqual([
        [true, true],
        [true, true],
        [true, true],
        [true, false],
        [false, true],
        [true, false],
        [false, true],
        [true, false],
      ])
      expect(outcomes.map((outcome) => outcome.remaining)).toEqual([
        [4, 1],
        [0, 4],
        [3, 0],
        [3, 0],
        [0, 4],
        [3, 0],
        [0, 4],
        [3, 0],
      ])
      const state = [
        await left(store, GLOBAL, 'ip1'),
        await left(store, LOGIN, 'ip1'),
        await left(store, GLOBAL, 'ip2'),
      ]
      expect(state).toEqual([3, 0, 4])
    })
  })
}
