// The shared request pipeline, without a framework: failure modes and user code that misbehaves.
import { describe, expect, it, vi } from 'vitest'
import { createPolicyStack, createRequestLimiter } from '../src/adapter.js'
import { type Decision, MemoryStore, RateLimiterError, SpillwayConfigError, type Store } from '../src/index.js'

interface FakeRequest {
  readonly headers: Record<string, string>
}
const request: FakeRequest = { headers: {} }

const failingStore: Store = {
  name: 'failing',
  consume: () => Promise.reject(new Error('connection refused')),
}

describe('createRequestLimiter', () => {
  it('admits a burst by client address, then rejects with a problem+json 429', async () => {
    const limiter = createRequestLimiter<FakeRequest>({ capacity: 2, refillRate: 1 })
    const kinds = []
    for (let i = 0; i < 3; i++) kinds.push((await limiter.check(request, '::ffff:203.0.113.9')).kind)
    expect(kinds).toEqual(['allowed', 'allowed', 'rejected'])
    const other = await limiter.check(request, '203.0.113.10')
    expect(other.kind).toBe('allowed')
    const rejected = await limiter.check(request, '203.0.113.9')
    if (rejected.kind !== 'rejected') throw new Error('expected a rejection')
    expect(rejected.response.status).toBe(429)
    expect(rejected.response.contentType).toBe('application/problem+json; charset=utf-8')
    expect(JSON.parse(rejected.response.body)['violated-policies']).toEqual(['default'])
  })

  it('passes key-function failures on by default, and allows or denies when configured', async () => {
    const key = () => Promise.reject(new Error('no user'))
    const onError = vi.fn()
    const byDefault = await createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, key, onError }).check(
      request,
      '1.2.3.4',
    )
    expect(byDefault.kind).toBe('failed')
    expect(onError).toHaveBeenCalledWith(expect.any(Error), { stage: 'key', request })
    const allow = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, key, onCallbackError: 'allow' })
    expect((await allow.check(request, '1.2.3.4')).kind).toBe('skipped')
    const deny = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, key, onCallbackError: 'deny' })
    const denied = await deny.check(request, '1.2.3.4')
    expect(denied.kind === 'rejected' && denied.response.status).toBe(503)
  })

  it('lets requests without a client address through uncounted (Unix socket), warning once, never a 500', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const onError = vi.fn()
    const store = new MemoryStore()
    const limiter = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, store, onError })
    for (let i = 0; i < 3; i++) expect((await limiter.check(request, undefined)).kind).toBe('skipped')
    await new Promise((resolve) => setImmediate(resolve))
    process.off('warning', onWarning)
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual(['SPILLWAY_NO_CLIENT_ADDRESS'])
    expect(warnings[0]?.message).toMatch(/trust-proxy option|key` function/)
    expect(onError).toHaveBeenCalledTimes(1)
    expect(store.size).toBe(0)
  })

  it('treats an empty or missing key from the key function as a key failure naming what it returned', async () => {
    const onError = vi.fn()
    const empty = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, key: () => '', onError })
    expect((await empty.check(request, '1.2.3.4')).kind).toBe('failed')
    const missing = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, key: () => undefined, onError })
    expect((await missing.check(request, '203.0.113.77')).kind).toBe('failed')
    const messages = onError.mock.calls.map(([error]) => (error as Error).message)
    expect(messages[0]).toContain('the key function must return a non-empty string, got ""')
    expect(messages[1]).toContain('got undefined')
    expect(messages[1]).not.toContain('203.0.113.77')
  })

  it('lets requests through when the store fails (default), and can deny or pass the error on', async () => {
    const onError = vi.fn()
    const open = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, store: failingStore, onError })
    expect((await open.check(request, '1.2.3.4')).kind).toBe('skipped')
    expect(onError.mock.calls[0]?.[1]).toEqual({ stage: 'store', request })
    const passOn = createRequestLimiter<FakeRequest>({
      capacity: 1,
      refillRate: 1,
      store: failingStore,
      onStoreError: 'error',
    })
    const failed = await passOn.check(request, '1.2.3.4')
    if (failed.kind !== 'failed') throw new Error('expected a failure')
    // The framework gets a generic error: no store text reaches a client; the original is the cause.
    expect(failed.error).toBeInstanceOf(RateLimiterError)
    expect(failed.error.message).not.toContain('connection refused')
    expect(failed.error).toMatchObject({ statusCode: 500, status: 500, expose: false, stage: 'store' })
    expect((failed.error.cause as Error).message).toBe('connection refused')
  })

  it('rejects a dynamic cost above capacity without a retry time, and an invalid cost as a failure', async () => {
    const big = createRequestLimiter<FakeRequest>({ capacity: 3, refillRate: 1, cost: () => 4 })
    const outcome = await big.check(request, '1.2.3.4')
    expect(outcome.kind).toBe('rejected')
    expect(outcome.kind === 'rejected' && outcome.headers.map((h) => h.name)).not.toContain('Retry-After')
    const nan = createRequestLimiter<FakeRequest>({ capacity: 3, refillRate: 1, cost: () => Number.NaN })
    expect((await nan.check(request, '1.2.3.4')).kind).toBe('failed')
  })

  it('survives an onLimited hook and a body builder that throw, reporting both', async () => {
    const onError = vi.fn()
    const limiter = createRequestLimiter<FakeRequest>({
      capacity: 1,
      refillRate: 1,
      onLimited: () => {
        throw new Error('hook')
      },
      body: () => {
        throw new Error('body')
      },
      onError,
    })
    await limiter.check(request, '1.2.3.4')
    const outcome = await limiter.check(request, '1.2.3.4')
    expect(outcome.kind === 'rejected' && outcome.response.contentType).toBe('application/problem+json; charset=utf-8')
    expect(onError.mock.calls.map((c) => c[1].stage)).toEqual(['hook', 'body'])
  })

  it('skips allow-listed addresses and keys without counting them', async () => {
    const store = new MemoryStore()
    const limiter = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, store, allowList: ['10.0.0.1'] })
    for (let i = 0; i < 3; i++) expect((await limiter.check(request, '::ffff:10.0.0.1')).kind).toBe('skipped')
    expect(store.size).toBe(0)
  })

  it('says whether it reads the client address: its key, or an address allowList (not a key allowList)', () => {
    const reads = (options: Partial<Parameters<typeof createRequestLimiter<FakeRequest>>[0]>) =>
      createRequestLimiter<FakeRequest>({ capacity: 2, refillRate: 1, ...options }).readsAddress
    const key = () => 'account'
    expect(reads({})).toBe(true)
    expect(reads({ key })).toBe(false)
    expect(reads({ key, allowList: ['198.51.100.0/24'] })).toBe(true)
    expect(reads({ key, allowList: (k: string) => k === 'vip' })).toBe(false)
    const withKey = createRequestLimiter<FakeRequest>({ capacity: 2, refillRate: 1, key })
    const byAddress = createRequestLimiter<FakeRequest>({ capacity: 2, refillRate: 1 })
    expect(createPolicyStack([withKey]).readsAddress).toBe(false)
    expect(createPolicyStack([withKey, byAddress]).readsAddress).toBe(true)
  })

  it('calls onLimited with the decision and a custom body function with it too', async () => {
    const seen: Decision[] = []
    const limiter = createRequestLimiter<FakeRequest>({
      capacity: 1,
      refillRate: 1,
      statusCode: 503,
      // A stopped clock: with the real one the 1 s wait could read 999 ms on a slow machine.
      store: new MemoryStore({ clock: () => 0 }),
      onLimited: (decision) => seen.push(decision),
      body: (decision: Decision) => ({ wait: decision.retryAfterMs }),
    })
    await limiter.check(request, '1.2.3.4')
    const outcome = await limiter.check(request, '1.2.3.4')
    if (outcome.kind !== 'rejected') throw new Error('expected a rejection')
    expect(outcome.response.status).toBe(503)
    expect(JSON.parse(outcome.response.body)).toEqual({ wait: 1000 })
    expect(seen).toHaveLength(1)
  })

  it('validates adapter options at construction', () => {
    const bad = [
      { standardHeaders: 'draft-7' },
      { statusCode: 200 },
      { ipv6Subnet: 0 },
      { allowList: [1] },
      { onStoreError: 'fallback' },
      { key: 'ip' },
      { cost: '2' },
      { store: undefined },
      { keyGenerator: () => 'x' },
    ]
    for (const extra of bad) {
      expect(() => createRequestLimiter({ capacity: 1, refillRate: 1, ...(extra as object) })).toThrow(
        SpillwayConfigError,
      )
    }
  })

  it('reports an async onLimited that rejects instead of leaving an unhandled rejection', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    const reported = new Promise<unknown[]>((resolve) => {
      const limiter = createRequestLimiter<FakeRequest>({
        capacity: 1,
        refillRate: 1,
        onLimited: async () => {
          throw new Error('async hook')
        },
        onError: async (...args) => {
          resolve(args)
          throw new Error('logging failed too')
        },
      })
      void Promise.resolve(limiter.check(request, '1.2.3.4')).then(() => limiter.check(request, '1.2.3.4'))
    })
    const [error, context] = await reported
    expect((error as Error).message).toBe('async hook')
    expect((context as { stage: string }).stage).toBe('hook')
    await new Promise((resolve) => setTimeout(resolve, 20))
    process.off('unhandledRejection', unhandled)
    expect(unhandled).not.toHaveBeenCalled()
  })

  it('awaits an async body builder', async () => {
    const limiter = createRequestLimiter<FakeRequest>({
      capacity: 1,
      refillRate: 1,
      // A stopped clock: with the real one the 1 s wait could read 999 ms on a slow machine.
      store: new MemoryStore({ clock: () => 0 }),
      body: async (decision: Decision) => ({ retryInMs: decision.retryAfterMs }),
    })
    await limiter.check(request, '1.2.3.4')
    const outcome = await limiter.check(request, '1.2.3.4')
    expect(outcome.kind === 'rejected' && JSON.parse(outcome.response.body)).toEqual({ retryInMs: 1000 })
  })

  it('matches allow-list entries written in any IP form against the normalised client address', async () => {
    const allowList = ['::ffff:203.0.113.5', '2001:DB8::1', '2001:db8:0:0::2']
    const limiter = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1, allowList })
    for (const address of ['203.0.113.5', '::ffff:203.0.113.5', '2001:db8::1', '2001:db8::2']) {
      expect((await limiter.check(request, address)).kind).toBe('skipped')
    }
    expect((await limiter.check(request, '2001:db8::3')).kind).toBe('allowed')
  })

  it('keys a client address that is not an IP by its text, instead of failing the request', async () => {
    const limiter = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 1 })
    expect((await limiter.check(request, 'unknown-proxy-value')).kind).toBe('allowed')
    expect((await limiter.check(request, 'unknown-proxy-value')).kind).toBe('rejected')
    expect((await limiter.check(request, 'another-value')).kind).toBe('allowed')
  })

  it('groups IPv6 clients by the configured ipv6Subnet', async () => {
    const by48 = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 0.001, ipv6Subnet: 48 })
    expect((await by48.check(request, '2001:db8:1:aaaa::1')).kind).toBe('allowed')
    expect((await by48.check(request, '2001:db8:1:bbbb::2')).kind).toBe('rejected')
    const whole = createRequestLimiter<FakeRequest>({ capacity: 1, refillRate: 0.001, ipv6Subnet: false })
    expect((await whole.check(request, '2001:db8:1:aaaa::1')).kind).toBe('allowed')
    expect((await whole.check(request, '2001:db8:1:aaaa::2')).kind).toBe('allowed')
  })
})
