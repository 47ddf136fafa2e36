// The request pipeline against hostile clients and unlucky setups: bypasses, hangs, leaks, double counting.
import { describe, expect, it, vi } from 'vitest'
import { createRequestLimiter } from '../src/adapter.js'
import { MemoryStore, type RateLimitOptions, SpillwayConfigError } from '../src/index.js'

interface FakeRequest {
  readonly headers: Record<string, string>
}
const from = (headers: Record<string, string> = {}): FakeRequest => ({ headers })
const never = () => new Promise<never>(() => {})

describe('allow list', () => {
  it('matches IP entries against the client address only, never against a key the client controls', async () => {
    const limiter = createRequestLimiter<FakeRequest>({
      capacity: 2,
      refillRate: 0.01,
      key: (request) => request.headers['x-api-key'],
      allowList: ['10.0.0.5'],
    })
    const attacker = from({ 'x-api-key': '10.0.0.5' })
    const kinds = []
    for (let i = 0; i < 4; i++) kinds.push((await limiter.check(attacker, '198.51.100.1')).kind)
    expect(kinds).toEqual(['allowed', 'allowed', 'rejected', 'rejected'])
    expect((await limiter.check(from({ 'x-api-key': 'k' }), '10.0.0.5')).kind).toBe('skipped')
  })

  it('rejects entries that are not IP addresses at construction, naming the entry', () => {
    let error: unknown
    try {
      createRequestLimiter({ capacity: 1, refillRate: 1, allowList: ['10.0.0.1', 'vip-key'] })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(SpillwayConfigError)
    expect(error).toMatchObject({ option: 'allowList[1]', value: 'vip-key' })
  })
})

describe('user functions that never settle', () => {
  const base = { capacity: 1, refillRate: 1, callbackTimeoutMs: 50 } as const
  const cases: Array<[string, Partial<RateLimitOptions<FakeRequest>>]> = [
    ['key', { key: never }],
    ['cost', { cost: never }],
    ['skip', { skip: never }],
    ['allowList', { allowList: never }],
  ]
  it.each(cases)(
    'a %s function that hangs is a failure after callbackTimeoutMs, handled per onCallbackError',
    async (stage, extra) => {
      const onError = vi.fn()
      const allow = createRequestLimiter<FakeRequest>({ ...base, ...extra, onCallbackError: 'allow', onError })
      expect((await allow.check(from(), '1.2.3.4')).kind).toBe('skipped')
      expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SPILLWAY_CALLBACK_TIMEOUT' })
      expect(onError.mock.calls[0]?.[1].stage).toBe(stage)
      const byDefault = createRequestLimiter<FakeRequest>({ ...base, ...extra })
      const outcome = await byDefault.check(from(), '1.2.3.4')
      expect(outcome.kind === 'failed' && outcome.error.stage).toBe(stage)
    },
  )

  it('a body function that hangs falls back to the default problem body', async () => {
    const onError = vi.fn()
    const limiter = createRequestLimiter<FakeRequest>({ ...base, body: never, onError })
    await limiter.check(from(), '1.2.3.4')
    const outcome = await limiter.check(from(), '1.2.3.4')
    expect(outcome.kind === 'rejected' && outcome.response.contentType).toBe('application/problem+json; charset=utf-8')
    expect(onError.mock.calls[0]?.[1].stage).toBe('body')
  })

  it('validates callbackTimeoutMs', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '100']) {
      expect(() => createRequestLimiter({ capacity: 1, refillRate: 1, callbackTimeoutMs: bad as number })).toThrow(
        /callbackTimeoutMs/,
      )
    }
  })
})

describe('static bodies', () => {
  it.each([
    ['a BigInt', { retry: 10n }],
    [
      'a cycle',
      (() => {
        const cycle: Record<string, unknown> = {}
        cycle.self = cycle
        return cycle
      })(),
    ],
  ])('rejects %s at construction instead of answering 500 at the first 429', (_what, body) => {
    expect(() => createRequestLimiter({ capacity: 1, refillRate: 1, body })).toThrow(SpillwayConfigError)
  })
})

describe('one request, one policy, counted once', () => {
  it('two identical middlewares on one store (app-wide and route) take one token per request', async () => {
    const store = new MemoryStore()
    const appWide = createRequestLimiter<FakeRequest>({ capacity: 4, refillRate: 0.01, store })
    const route = createRequestLimiter<FakeRequest>({ capacity: 4, refillRate: 0.01, store })
    const remaining = []
    for (let i = 0; i < 4; i++) {
      const request = from()
      const first = await appWide.check(request, '1.2.3.4')
      const second = await route.check(request, '1.2.3.4')
      expect(second.kind).toBe('skipped')
      remaining.push(first.kind === 'allowed' ? first.decision.remaining : undefined)
    }
    expect(remaining).toEqual([3, 2, 1, 0])
  })

  it('still counts one policy once per distinct key in one request', async () => {
    const store = new MemoryStore()
    const byAddress = createRequestLimiter<FakeRequest>({ capacity: 4, refillRate: 0.01, store })
    const byUser = createRequestLimiter<FakeRequest>({ capacity: 4, refillRate: 0.01, store, key: () => 'user:1' })
    const request = from()
    expect((await byAddress.check(request, '1.2.3.4')).kind).toBe('allowed')
    expect((await byUser.check(request, '1.2.3.4')).kind).toBe('allowed')
  })
})
