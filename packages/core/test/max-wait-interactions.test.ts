// maxWait with main's other features: blockDuration, stacked (all-or-nothing) decisions, per-request limits, known rejections.
import { EventEmitter } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import { createPolicyStack, createRequestLimiter, type LimitOutcome, type RequestLimiter } from '../src/adapter.js'
import { decideStack, type StackStep } from '../src/decide-together.js'
import { createLimiter, MemoryStore, type Policy, SpillwayConfigError, type Store } from '../src/index.js'
import { createPolicy, storeKey } from '../src/store.js'

const ip = '203.0.113.7'
/** Stores on a clock that stands still: bucket states are exact (holds still wait on the real clock). */
const frozenClock = () => 1_000_000_000
const fakeResponse = () => Object.assign(new EventEmitter(), { statusCode: 200 })
const isPromise = (value: unknown) => typeof (value as Promise<unknown> | undefined)?.then === 'function'
/** µs the bucket of `policy` for `ip` is below full (past τ: reserved on credit by waiting requests). */
const debtUs = (store: MemoryStore, policy: Policy, client = ip) =>
  store.peekSync(storeKey(policy.name, client), policy).debtUs

interface FakeRequest {
  readonly id: number
}

/** What an Express or Koa adapter does with one middleware's outcome: record it (holds for later middlewares). */
function runMiddleware(limiter: RequestLimiter<FakeRequest>, request: FakeRequest) {
  const outcome = limiter.check(request, ip) as LimitOutcome
  const raw = { statusCode: 200, once: () => undefined }
  limiter.record(outcome, { holder: {}, request, response: raw, raw })
  return outcome
}

describe('maxWait with blockDuration', () => {
  it('never admits on credit: the policy has no maxWaitUs, and a rejected key is blocked at once', () => {
    const policy = createPolicy({ capacity: 1, refillRate: 20, maxWait: 1000, blockDuration: '1m' })
    expect(policy.maxWaitUs).toBeUndefined()
    expect(policy.block?.durationUs).toBe(60_000_000)
    const store = new MemoryStore({ clock: frozenClock }) // on the real one, 50 ms between the checks refill the token
    const limiter = createRequestLimiter({ capacity: 1, refillRate: 20, maxWait: 1000, blockDuration: '1m', store })
    expect((limiter.check({}, ip, fakeResponse()) as LimitOutcome).kind).toBe('allowed')
    // Alone it would wait 50 ms; with a block it is rejected synchronously and blocked for a minute.
    const second = limiter.check({}, ip, fakeResponse())
    expect(isPromise(second)).toBe(false)
    expect(second).toMatchObject({ kind: 'rejected', decision: { allowed: false, blockedMs: 60_000 } })
  })

  it('still validates maxWait', () => {
    expect(() => createPolicy({ capacity: 1, refillRate: 1, maxWait: -1, blockDuration: '1m' })).toThrow(
      SpillwayConfigError,
    )
  })
})

describe('maxWait in stacked (all-or-nothing) decisions', () => {
  const waiting = { name: 'global', capacity: 1, refillRate: 20, maxWait: 1000 } // T = 50 ms
  it('a policy stack (Fastify) does not wait: admitted when every token is there now, else rejected', () => {
    const store = new MemoryStore({ clock: frozenClock })
    const appWide = createRequestLimiter<FakeRequest>({ ...waiting, store })
    const route = createRequestLimiter<FakeRequest>({ name: 'route', capacity: 5, refillRate: 1, store })
    const stack = createPolicyStack([appWide, route])
    const first = stack.check({ id: 1 }, ip, fakeResponse()) as LimitOutcome[]
    expect(first.map((outcome) => outcome.kind)).toEqual(['allowed', 'allowed'])
    // Alone, the global policy would hold this request 50 ms; together it is rejected, synchronously.
    const second = stack.check({ id: 2 }, ip, fakeResponse())
    expect(isPromise(second)).toBe(false)
    const [global, own] = second as LimitOutcome[]
    expect(global).toMatchObject({ kind: 'rejected', decision: { allowed: false } })
    expect(global?.kind === 'rejected' && global.decision?.waitMs).toBeUndefined()
    expect(own?.kind).toBe('allowed') // its bucket had the token, but nothing was taken:
    expect(debtUs(store, route.policy)).toBe(route.policy.emissionIntervalUs)
  })

  it('a route policy after an app-wide one (Express, Koa) does not wait either', () => {
    const store = new MemoryStore({ clock: frozenClock })
    const appWide = createRequestLimiter<FakeRequest>({ name: 'app', capacity: 10, refillRate: 1, store })
    const route = createRequestLimiter<FakeRequest>({ ...waiting, store })
    expect(runMiddleware(appWide, { id: 1 }).kind).toBe('allowed')
    expect(runMiddleware(route, { id: 1 }).kind).toBe('allowed')
    const request = { id: 2 }
    expect(runMiddleware(appWide, request).kind).toBe('allowed')
    const outcome = route.check(request, ip, fakeResponse())
    expect(isPromise(outcome)).toBe(false)
    expect((outcome as LimitOutcome).kind).toBe('rejected')
    // The app-wide token of the rejected request was given back: one token used, by the first request.
    expect(debtUs(store, appWide.policy)).toBe(appWide.policy.emissionIntervalUs)
  })

  it('an app-wide maxWait policy (Express, Koa) still waits: it decides alone, before any other', async () => {
    const store = new MemoryStore({ clock: frozenClock })
    const appWide = createRequestLimiter<FakeRequest>({ ...waiting, store })
    expect(runMiddleware(appWide, { id: 1 }).kind).toBe('allowed')
    const held = appWide.check({ id: 2 }, ip, fakeResponse())
    expect(isPromise(held)).toBe(true)
    expect(await held).toMatchObject({ kind: 'allowed', decision: { waitMs: 50 } })
  })

  it('keeps the credit that waiting requests reserved: the stacked step clamps at τ + D, not τ', async () => {
    const store = new MemoryStore({ clock: frozenClock })
    const alone = createRequestLimiter<FakeRequest>({ ...waiting, store })
    const stack = createPolicyStack([
      createRequestLimiter<FakeRequest>({ ...waiting, store }),
      createRequestLimiter<FakeRequest>({ name: 'route', capacity: 5, refillRate: 1, store }),
    ])
    const policy = alone.policy
    const held = [1, 2, 3].map((id) => alone.check({ id }, ip, fakeResponse()))
    // One token now, two on credit: tat − now = τ + 2T (less the few µs since).
    expect(debtUs(store, policy)).toBeGreaterThan(policy.burstUs + 1.5 * policy.emissionIntervalUs)
    expect((stack.check({ id: 4 }, ip) as LimitOutcome[])[0]?.kind).toBe('rejected')
    expect(debtUs(store, policy)).toBeGreaterThan(policy.burstUs + 1.5 * policy.emissionIntervalUs)
    await Promise.all(held)
  })

  it('gives back at once what a store without consumeAll admitted on credit', async () => {
    const inner = new MemoryStore({ clock: frozenClock })
    const plain: Store = {
      name: 'plain',
      consume: (key, policy, cost) => inner.consume(key, policy, cost),
      refund: (key, policy, tokens) => inner.refund(key, policy, tokens),
    }
    const policy = createPolicy(waiting)
    const other = createPolicy({ name: 'other', capacity: 5, refillRate: 1 })
    const steps = (): StackStep[] => [
      { store: plain, key: storeKey('global', ip), policy, cost: 1 },
      { store: inner, key: storeKey('other', ip), policy: other, cost: 1 },
    ]
    expect((await decideStack(steps())).map((result) => result.allowed)).toEqual([true, true])
    const second = await decideStack(steps())
    expect(second.map((result) => result.allowed)).toEqual([false, true])
    expect(debtUs(inner, policy)).toBeLessThanOrEqual(policy.burstUs) // the credit went back
    expect(debtUs(inner, other)).toBe(other.emissionIntervalUs) // and the other store's token too
  })

  it('a stack with a blockDuration policy decides each alone: the maxWait policy waits when all admit', async () => {
    const store = new MemoryStore({ clock: frozenClock })
    const appWide = createRequestLimiter<FakeRequest>({ ...waiting, store })
    const login = createRequestLimiter<FakeRequest>({
      name: 'login',
      capacity: 2,
      refillRate: 1 / 60,
      blockDuration: '1m',
      store,
    })
    const stack = createPolicyStack([appWide, login])
    expect((stack.check({ id: 1 }, ip) as LimitOutcome[]).map((outcome) => outcome.kind)).toEqual([
      'allowed',
      'allowed',
    ])
    const startedMs = performance.now()
    const held = stack.check({ id: 2 }, ip, fakeResponse())
    expect(isPromise(held)).toBe(true)
    expect((await held).map((outcome) => outcome.kind)).toEqual(['allowed', 'allowed'])
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(40)
    // The login policy rejects the third: nobody waits for a request that is turned away.
    const third = stack.check({ id: 3 }, ip, fakeResponse())
    expect(isPromise(third)).toBe(false)
    expect((third as LimitOutcome[]).map((outcome) => outcome.kind)).toEqual(['allowed', 'rejected'])
  })
})

describe('maxWait with the rest', () => {
  it('a policy whose capacity is a function waits in its variant', async () => {
    const store = new MemoryStore({ clock: frozenClock }) // on the real one, the 50 ms wait shrinks as time passes
    const limiter = createRequestLimiter({ name: 'tiers', capacity: () => 1, refillRate: 20, maxWait: 1000, store })
    expect((limiter.check({}, ip, fakeResponse()) as LimitOutcome).kind).toBe('allowed')
    const held = limiter.check({}, ip, fakeResponse())
    expect(isPromise(held)).toBe(true)
    const outcome = await held
    expect(outcome).toMatchObject({ kind: 'allowed', decision: { waitMs: 50, policy: { name: 'tiers:1@20/s' } } })
    expect(outcome.kind === 'allowed' && outcome.decision.policy.maxWaitUs).toBe(1_000_000)
  })

  it('one name on one store with two maxWaits is a duplicate policy (their credit would undo each other)', () => {
    const store = new MemoryStore({ clock: frozenClock })
    createRequestLimiter({ name: 'api', capacity: 1, refillRate: 1, maxWait: 1000, store })
    expect(() => createRequestLimiter({ name: 'api', capacity: 1, refillRate: 1, store })).toThrow(/another maxWait/)
  })

  it('a store that answers later is asked again once a rejected key fits the window τ + D', async () => {
    // The limiter's memory of rejections reads performance.now(), which no option injects: fake it, so that
    // memory and the store (on the same default clock) see only the time the test lets pass.
    vi.useFakeTimers({ toFake: ['performance'] })
    try {
      const inner = new MemoryStore()
      let calls = 0
      const remote: Store = {
        name: 'remote',
        consume: (key, policy, cost) => {
          calls++
          return inner.consume(key, policy, cost)
        },
      }
      // T = 100 ms, τ = 100 ms, D = 1 s: eleven admitted at once (one now, ten on credit), the twelfth rejected.
      const limiter = createLimiter({ capacity: 1, refillRate: 10, maxWait: 1000, store: remote })
      const decisions = []
      for (let i = 0; i < 12; i++) decisions.push(await limiter.consume('k'))
      expect(decisions.map((decision) => decision.allowed)).toEqual([...Array(11).fill(true), false])
      expect(calls).toBe(12)
      expect((await limiter.consume('k')).allowed).toBe(false) // known empty: rejected in-process
      expect(calls).toBe(12)
      vi.advanceTimersByTime(300)
      // 0.8 s of credit is left: this one waits 0.8 s (under D) instead of being rejected in-process.
      const later = await limiter.consume('k')
      expect(calls).toBe(13)
      expect(later).toMatchObject({ allowed: true, waitMs: 800 })
    } finally {
      vi.useRealTimers()
    }
  })
})
