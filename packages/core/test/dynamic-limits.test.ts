// Limits that depend on the request: capacity and refillRate functions, one policy per distinct shape, bounded.
import { describe, expect, it, vi } from 'vitest'
import { createRequestLimiter } from '../src/adapter.js'
import { MemoryStore, SpillwayConfigError } from '../src/index.js'
import type { LimitOutcome } from '../src/limit-outcome.js'

interface FakeRequest {
  readonly tier: string
}
const TIERS: Record<string, number> = { free: 2, pro: 5 }
const capacity = (request: FakeRequest) => TIERS[request.tier] as number

function policyOf(outcome: LimitOutcome): string | undefined {
  return outcome.kind === 'allowed' || outcome.kind === 'rejected' ? outcome.decision?.policy.name : undefined
}

async function kinds(limiter: ReturnType<typeof createRequestLimiter<FakeRequest>>, request: FakeRequest, n: number) {
  const seen: string[] = []
  for (let i = 0; i < n; i++) seen.push((await limiter.check(request, '203.0.113.1')).kind)
  return seen
}

describe('capacity and refillRate as functions of the request', () => {
  it('gives each tier its own policy: its own name, bucket and headers', async () => {
    const limiter = createRequestLimiter<FakeRequest>({ name: 'api', capacity, refillRate: { tokens: 10, per: '1m' } })
    expect(await kinds(limiter, { tier: 'free' }, 3)).toEqual(['allowed', 'allowed', 'rejected'])
    // Same client address, other tier: another policy, another key space.
    expect(await kinds(limiter, { tier: 'pro' }, 6)).toEqual([...Array(5).fill('allowed'), 'rejected'])
    const pro = await limiter.check({ tier: 'pro' }, '203.0.113.2')
    expect(policyOf(pro)).toBe('api:5@0.166667/s')
    const policyHeader = pro.kind === 'allowed' ? pro.headers.find((h) => h.name === 'RateLimit-Policy') : undefined
    expect(policyHeader?.value).toBe('"api:5@0.166667/s";q=5;w=30')
    expect(policyOf(await limiter.check({ tier: 'free' }, '203.0.113.2'))).toBe('api:2@0.166667/s')
  })

  it('takes async functions and a rate that depends on the request', async () => {
    const limiter = createRequestLimiter<FakeRequest>({
      capacity: async () => 3,
      refillRate: async (request) => (request.tier === 'pro' ? 100 : 1),
    })
    const outcome = await limiter.check({ tier: 'pro' }, '203.0.113.1')
    expect(policyOf(outcome)).toBe('default:3@100/s')
  })

  it('answers synchronously when the functions and the store do', () => {
    const limiter = createRequestLimiter<FakeRequest>({ capacity, refillRate: 1 })
    const outcome = limiter.check({ tier: 'free' }, '203.0.113.1')
    expect(typeof (outcome as { then?: unknown }).then).toBe('undefined')
  })

  it.each([
    ['capacity', -1],
    ['capacity', Number.NaN],
    ['capacity', 'ten'],
    ['refillRate', 0],
    ['refillRate', { tokens: 1, per: 'never' }],
    ['refillRate', 999_999],
  ])('handles a bad %s (%j) by the failure mode with a clear error, never a crash', async (option, value) => {
    const onError = vi.fn()
    const options = { capacity: 5, refillRate: 1, onError, [option]: () => value }
    const passOn = createRequestLimiter<FakeRequest>(options)
    const failed = await passOn.check({ tier: 'free' }, '203.0.113.1')
    expect(failed.kind).toBe('failed')
    const [error, context] = onError.mock.calls[0] as [SpillwayConfigError, { stage: string }]
    expect(context.stage).toBe('policy')
    expect(error).toBeInstanceOf(SpillwayConfigError)
    expect(error.message).toContain(option)
    const allow = createRequestLimiter<FakeRequest>({ ...options, onCallbackError: 'allow' })
    expect((await allow.check({ tier: 'free' }, '203.0.113.1')).kind).toBe('skipped')
    const deny = createRequestLimiter<FakeRequest>({ ...options, onCallbackError: 'deny' })
    const denied = await deny.check({ tier: 'free' }, '203.0.113.1')
    expect(denied.kind === 'rejected' && denied.response.status).toBe(503)
  })

  it('handles a function that throws or rejects in stage policy', async () => {
    const onError = vi.fn()
    const limiter = createRequestLimiter<FakeRequest>({
      capacity: () => Promise.reject(new Error('tier lookup down')),
      refillRate: 1,
      onError,
      onCallbackError: 'allow',
    })
    expect((await limiter.check({ tier: 'free' }, '203.0.113.1')).kind).toBe('skipped')
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'tier lookup down' }),
      expect.objectContaining({ stage: 'policy' }),
    )
  })

  it('bounds the distinct policies a function may create, with a coded error past it', async () => {
    const onError = vi.fn()
    const store = new MemoryStore()
    const limiter = createRequestLimiter<{ n: number }>({
      capacity: (request) => request.n,
      refillRate: 1,
      maxPolicies: 3,
      store,
      onError,
    })
    for (const n of [1, 2, 3, 1, 2, 3]) expect((await limiter.check({ n }, '203.0.113.1')).kind).not.toBe('failed')
    const past = await limiter.check({ n: 4 }, '203.0.113.1')
    expect(past.kind).toBe('failed')
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_SPILLWAY_TOO_MANY_POLICIES', option: 'maxPolicies' })
    expect((await limiter.check({ n: 2 }, '203.0.113.1')).kind).not.toBe('failed') // known ones still decide
  })

  it('validates the fixed parts, the name and maxPolicies at construction', () => {
    const build = (options: object) => () => createRequestLimiter<FakeRequest>({ capacity, refillRate: 1, ...options })
    expect(build({ refillRate: -1 })).toThrow(SpillwayConfigError)
    expect(build({ maxPolicies: 0 })).toThrow('maxPolicies')
    expect(build({ name: 'a-very-long-policy-name-that-goes-on' })).toThrow('at most 28 characters')
    expect(() => createRequestLimiter({ capacity: 5, refillRate: 1, maxPolicies: 2 })).not.toThrow()
  })

  it('blocks per tier too', async () => {
    const limiter = createRequestLimiter<FakeRequest>({ capacity, refillRate: 1, blockDuration: '1m' })
    await kinds(limiter, { tier: 'free' }, 2)
    const rejected = await limiter.check({ tier: 'free' }, '203.0.113.1')
    expect(rejected.kind === 'rejected' && rejected.decision?.blockedMs).toBe(60_000)
  })
})
