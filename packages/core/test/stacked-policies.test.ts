// Stacked policies, all-or-nothing: the store step, the decision across stores, and the request pipeline.
import { describe, expect, it, vi } from 'vitest'
import { createPolicyStack, createRequestLimiter, type LimitOutcome, type RequestLimiter } from '../src/adapter.js'
import { decideTogetherAt } from '../src/all-or-nothing.js'
import { decideStack, type StackStep } from '../src/decide-together.js'
import {
  type ConsumeStep,
  MemoryStore,
  type Policy,
  type RequestBuckets,
  type Store,
  withFallback,
} from '../src/index.js'
import { createPolicy, storeKey } from '../src/store.js'

const global = createPolicy({ name: 'global', capacity: 3, refillRate: { tokens: 1, per: '1h' } })
const login = createPolicy({ name: 'login', capacity: 1, refillRate: { tokens: 1, per: '1h' } })
const stepOf = (store: Store, policy: Policy, extra: Partial<StackStep> = {}): StackStep => ({
  store,
  key: storeKey(policy.name, 'ip'),
  policy,
  cost: 1,
  ...extra,
})
const remaining = (store: MemoryStore, policy: Policy, client = 'ip') => {
  const { debtUs } = store.peekSync(storeKey(policy.name, client), policy)
  return Math.floor((policy.burstUs - debtUs) / policy.emissionIntervalUs)
}

/** A store with only consume (and refund): the limiter takes each step and gives back on rejection. */
function plainStore(inner: MemoryStore, withRefund = true): Store & { calls: string[] } {
  const calls: string[] = []
  return {
    name: 'plain',
    calls,
    consume: (key, policy, cost) => {
      calls.push(`consume ${key}`)
      return inner.consume(key, policy, cost)
    },
    ...(withRefund && {
      refund: (key: string, policy: Policy, tokens: number) => {
        calls.push(`refund ${key}`)
        return inner.refund(key, policy, tokens)
      },
    }),
  }
}

describe('decideTogetherAt (the math)', () => {
  it('takes every step or none; a held step is given back when the decision rejects', () => {
    const tats = new Map<string, number>()
    const steps: ConsumeStep[] = [
      { key: 'g', policy: global, cost: 1 },
      { key: 'l', policy: login, cost: 2 },
      { key: 'h', policy: global, cost: 1, held: true },
    ]
    tats.set('h', 1_000_000 + global.emissionIntervalUs)
    const { taken, steps: after } = decideTogetherAt(steps, 1_000_000, (key) => tats.get(key))
    expect(taken).toBe(false)
    expect(after.map((s) => [s.allowed, s.debtUs])).toEqual([
      [true, 0],
      [false, 0],
      [true, 0],
    ])
  })

  it('says which step found no tokens when two steps share a bucket with room for one (as the Redis script does)', () => {
    const steps: ConsumeStep[] = [
      { key: 'l', policy: login, cost: 1 },
      { key: 'l', policy: login, cost: 1 },
    ]
    const { taken, steps: after } = decideTogetherAt(steps, 1_000_000, () => undefined)
    expect(taken).toBe(false)
    expect(after.map((s) => [s.allowed, s.debtUs])).toEqual([
      [true, 0],
      [false, 0],
    ])
  })
})

describe('MemoryStore.consumeAllSync', () => {
  it('takes from every bucket or from none, in one synchronous step', () => {
    const store = new MemoryStore()
    const steps = [global, login].map((policy) => ({ key: storeKey(policy.name, 'ip'), policy, cost: 1 }))
    expect(store.consumeAllSync(steps).map((s) => s.allowed)).toEqual([true, true])
    for (let i = 0; i < 5; i++) expect(store.consumeAllSync(steps).map((s) => s.allowed)).toEqual([true, false])
    expect([remaining(store, global), remaining(store, login)]).toEqual([2, 0])
  })
})

describe('decideStack (across stores)', () => {
  it('decides the policies of several in-memory stores synchronously, all-or-nothing', () => {
    const [a, b] = [new MemoryStore(), new MemoryStore()]
    const results = decideStack([stepOf(a, global), stepOf(b, login)])
    expect(Array.isArray(results)).toBe(true)
    const again = decideStack([stepOf(a, global), stepOf(b, login)]) as { allowed: boolean; debtUs: number }[]
    expect(again.map((r) => r.allowed)).toEqual([true, false])
    expect([remaining(a, global), remaining(b, login)]).toEqual([2, 0])
  })

  it('gives back with refund on a store without consumeAll (e.g. HybridStore, a custom store)', async () => {
    const inner = new MemoryStore()
    const plain = plainStore(inner)
    await decideStack([stepOf(plain, global), stepOf(plain, login)])
    const results = await decideStack([stepOf(plain, global), stepOf(plain, login)])
    expect(results.map((r) => r.allowed)).toEqual([true, false])
    expect(remaining(inner, global)).toBe(2)
    expect(plain.calls.filter((call) => call.startsWith('refund'))).toEqual(['refund global:{ip}'])
  })

  it('keeps the tokens a store without refund took (documented: no all-or-nothing there)', async () => {
    const inner = new MemoryStore()
    const plain = plainStore(inner, false)
    await decideStack([stepOf(plain, global), stepOf(plain, login)])
    expect((await decideStack([stepOf(plain, global), stepOf(plain, login)])).map((r) => r.allowed)).toEqual([
      true,
      false,
    ])
    expect(remaining(inner, global)).toBe(1)
  })

  it('fails the decision when a store fails, after giving back what the others took', async () => {
    const memory = new MemoryStore()
    const failing: Store = { name: 'down', consume: () => Promise.reject(new Error('down')) }
    await expect(decideStack([stepOf(memory, global), stepOf(failing, login)])).rejects.toThrow('down')
    expect(remaining(memory, global)).toBe(3)
  })

  it('falls back to an all-or-nothing decision on the local share when the store fails (withFallback)', async () => {
    const down: Store = {
      name: 'down',
      consume: () => Promise.reject(new Error('down')),
      consumeAll: () => Promise.reject(new Error('down')),
    }
    const onFallback = vi.fn()
    const store = withFallback(down, { onFallback })
    const first = await decideStack([stepOf(store, global), stepOf(store, login)])
    const second = await decideStack([stepOf(store, global), stepOf(store, login)])
    expect(first.map((r) => r.allowed)).toEqual([true, true])
    expect(second.map((r) => [r.allowed, r.fallbackPolicy?.name])).toEqual([
      [true, 'global'],
      [false, 'login'],
    ])
    expect(onFallback).toHaveBeenCalledTimes(2)
  })
})

interface FakeRequest {
  readonly id: number
}

/** What an Express or Koa adapter does with one middleware's outcome: record it, answer it. */
function runMiddleware(limiter: RequestLimiter<FakeRequest>, request: FakeRequest, holder: object) {
  const outcome = limiter.check(request, '203.0.113.7') as LimitOutcome
  const raw = { statusCode: 200, once: () => undefined }
  limiter.record(outcome, { holder, request, response: raw, raw })
  return outcome
}

/** Where an adapter records: on a holder of its own (Koa's ctx.state), on the request (Express, Fastify). */
const HOLDER_SHAPES = [
  { shape: 'a holder apart from the request (Koa)', make: (id: number) => ({ request: { id }, holder: {} }) },
  {
    shape: 'the request as its own holder (Express)',
    make: (id: number) => {
      const request = { id }
      return { request, holder: request }
    },
  },
  {
    shape: 'a frozen request (a custom adapter)',
    make: (id: number) => ({ request: Object.freeze({ id }), holder: {} }),
  },
]

describe('the request pipeline', () => {
  it.each(HOLDER_SHAPES)(
    'an earlier middleware keeps no token when a later one rejects the request, with $shape',
    ({ make }) => {
      const store = new MemoryStore()
      const appWide = createRequestLimiter<FakeRequest>({ name: 'global', capacity: 3, refillRate: 1 / 3600, store })
      const route = createRequestLimiter<FakeRequest>({ name: 'login', capacity: 1, refillRate: 1 / 3600, store })
      const kinds: string[] = []
      for (let id = 0; id < 7; id++) {
        const { request, holder } = make(id) as { request: FakeRequest; holder: { rateLimitBuckets?: RequestBuckets } }
        const first = runMiddleware(appWide, request, holder)
        if (first.kind !== 'allowed') throw new Error('the app-wide policy has room')
        const second = runMiddleware(route, request, holder)
        kinds.push(second.kind)
        if (second.kind === 'rejected') {
          // The rejection restates the app-wide policy with its bucket after the give-back.
          const rateLimit = second.headers.find((field) => field.name === 'RateLimit')?.value
          expect(rateLimit).toMatch(/^"global";r=2;t=\d+, "login";r=0;t=\d+$/)
          expect(first.counted.settled).toBe(true)
        }
      }
      expect(kinds).toEqual(['allowed', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected'])
      expect(remaining(store, global, '203.0.113.7')).toBe(2)
    },
  )

  it('a policy stack (Fastify) decides synchronously in memory, naming every policy that rejected', () => {
    const store = new MemoryStore()
    const appWide = createRequestLimiter<FakeRequest>({ name: 'global', capacity: 1, refillRate: 1 / 3600, store })
    const route = createRequestLimiter<FakeRequest>({ name: 'login', capacity: 1, refillRate: 1 / 60, store })
    const stack = createPolicyStack([appWide, route])
    const first = stack.check({ id: 1 }, '203.0.113.7')
    expect(Array.isArray(first) && first.map((outcome) => outcome.kind)).toEqual(['allowed', 'allowed'])
    const second = stack.check({ id: 2 }, '203.0.113.7') as LimitOutcome[]
    expect(second.map((outcome) => outcome.kind)).toEqual(['rejected', 'rejected'])
    const body = second[0]?.kind === 'rejected' ? JSON.parse(second[0].response.body) : undefined
    expect(body['violated-policies']).toEqual(['global', 'login'])
  })

  it('a stack takes nothing when one policy is denied before deciding (onCallbackError: deny)', async () => {
    const store = new MemoryStore()
    const appWide = createRequestLimiter<FakeRequest>({ name: 'global', capacity: 3, refillRate: 1 / 3600, store })
    const route = createRequestLimiter<FakeRequest>({
      name: 'login',
      capacity: 1,
      refillRate: 1 / 3600,
      store,
      key: () => Promise.reject(new Error('no user')),
      onCallbackError: 'deny',
    })
    const outcomes = await createPolicyStack([appWide, route]).check({ id: 1 }, '203.0.113.7')
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['skipped', 'rejected'])
    expect(remaining(store, global, '203.0.113.7')).toBe(3)
  })

  it('a later middleware denied before deciding (503) gives the earlier policies their tokens back', () => {
    const store = new MemoryStore()
    const appWide = createRequestLimiter<FakeRequest>({ name: 'global', capacity: 3, refillRate: 1 / 3600, store })
    const route = createRequestLimiter<FakeRequest>({
      name: 'login',
      capacity: 1,
      refillRate: 1 / 3600,
      store,
      key: () => {
        throw new Error('no user')
      },
      onCallbackError: 'deny',
    })
    const request = { id: 1 }
    const holder = {}
    expect(runMiddleware(appWide, request, holder).kind).toBe('allowed')
    expect(remaining(store, global, '203.0.113.7')).toBe(2)
    const denied = runMiddleware(route, request, holder)
    expect(denied.kind === 'rejected' && denied.response.status).toBe(503)
    expect(remaining(store, global, '203.0.113.7')).toBe(3)
  })
})
