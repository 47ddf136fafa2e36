// Header writers, one draft at a time, checked with an independent RFC 9651 parser (structured-headers).
// Each test quotes the draft sentence it enforces. Drafts: draft-ietf-httpapi-ratelimit-headers -06, -10, -11.
import { parseList } from 'structured-headers'
import { describe, expect, it } from 'vitest'
import { mergeHeaderValue, rateLimitHeaders } from '../src/adapter.js'
import { createLimiter, type Decision, MemoryStore } from '../src/index.js'

function parsedItems(value: string) {
  return parseList(value).map(([name, params]) => ({ name, params: Object.fromEntries(params) }))
}

async function decisions(count: number, options: { capacity: number; refillRate: number; name?: string }) {
  const clock = { nowUs: 0 }
  const store = new MemoryStore({ clock: () => clock.nowUs })
  const limiter = createLimiter({ ...options, store })
  const out: Decision[] = []
  for (let i = 0; i < count; i++) out.push(await limiter.consume('k'))
  return { out, clock, limiter }
}

function header(fields: ReturnType<typeof rateLimitHeaders>, name: string): string | undefined {
  return fields.find((f) => f.name === name)?.value
}

const ratelimitItem = (decision: Decision, standard: 'draft-11' | 'draft-10') =>
  parsedItems(header(rateLimitHeaders(decision, { standard, legacy: false }), 'RateLimit') as string)[0]

describe('draft-11 headers', () => {
  it('names the policy as an sf-String with q and w, and RateLimit with r and t', async () => {
    const { out } = await decisions(3, { capacity: 10, refillRate: 0.5, name: 'api' })
    const fields = rateLimitHeaders(out[2] as Decision, { standard: 'draft-11', legacy: false })
    expect(parsedItems(header(fields, 'RateLimit-Policy') as string)).toEqual([
      { name: 'api', params: { q: 10, w: 20 } },
    ])
    // 7 tokens left at 0.5/s: the bucket earns 7 back in t = 14 s, so r/t = 0.5/s, the policy's rate.
    expect(parsedItems(header(fields, 'RateLimit') as string)).toEqual([{ name: 'api', params: { r: 7, t: 14 } }])
    expect(header(fields, 'Retry-After')).toBeUndefined()
  })

  // -10 §6: "SHOULD implement mechanisms to cap the ratio between the remaining and the reset parameter
  // values"; -11 §6 asks the same of available quota and effective window. The review found t = 0 whenever
  // R ≥ 1/s: an unbounded r/t.
  it('keeps r/t at most R per second and t ≥ 1, whatever the refill rate ("cap the ratio")', async () => {
    for (const [capacity, refillRate] of [
      [100, 1],
      [100, 50],
      [5000, 1000],
      [10, 1 / 60],
      [1, 3],
    ] as const) {
      const { out } = await decisions(2, { capacity, refillRate })
      for (const decision of out) {
        const item = ratelimitItem(decision, 'draft-11')
        const [r, t] = [item?.params.r as number, item?.params.t as number]
        expect(r).toBe(decision.remaining)
        expect(t).toBeGreaterThanOrEqual(1)
        expect(r / t).toBeLessThanOrEqual(refillRate)
      }
    }
  })

  it('with r = 0, t is the time until the next token; on a rejection never shorter than Retry-After', async () => {
    const { out, limiter } = await decisions(3, { capacity: 2, refillRate: 4 })
    const rejected = out[2] as Decision
    expect([rejected.allowed, rejected.retryAfterMs]).toEqual([false, 250])
    const fields = rateLimitHeaders(rejected, { standard: 'draft-11', legacy: false })
    expect(header(fields, 'Retry-After')).toBe('1')
    expect(parsedItems(header(fields, 'RateLimit') as string)[0]?.params).toEqual({ r: 0, t: 1 })
    // cost 2 with 0 left: Retry-After covers both tokens (500 ms → 1 s), and t is not shorter.
    const costly = await limiter.consume('k', 2)
    expect(ratelimitItem(costly, 'draft-11')?.params.t).toBeGreaterThanOrEqual(Number(retryAfterOf(costly)))
  })

  it('sends no Retry-After when the cost can never fit', async () => {
    const { limiter } = await decisions(0, { capacity: 2, refillRate: 1 })
    const decision = await limiter.consume('k', 3)
    expect(rateLimitHeaders(decision, { standard: 'draft-11', legacy: true }).map((f) => f.name)).not.toContain(
      'Retry-After',
    )
  })
})

describe('draft-10 headers', () => {
  // -10 §4.1.2: "The "t" parameter indicates the number of seconds until additional quota associated with
  // the quota policy is made available."
  it('omits t when the bucket is full and sends the time until more quota otherwise', async () => {
    const { limiter, clock } = await decisions(0, { capacity: 5, refillRate: 1 })
    const first = await limiter.consume('k')
    expect(ratelimitItem(first, 'draft-10')).toEqual({ name: 'default', params: { r: 4, t: 1 } })
    clock.nowUs += 10e6
    const untouched = await limiter.consume('other-key')
    const full = { ...untouched, remaining: 5, nextTokenMs: 0, resetMs: 0 }
    expect(ratelimitItem(full, 'draft-10')).toEqual({ name: 'default', params: { r: 5 } })
  })

  // -10 §6: "the Retry-After field value SHOULD NOT reference a point in time earlier than the reset parameter".
  it('never sends a t later than Retry-After', async () => {
    const { limiter } = await decisions(4, { capacity: 4, refillRate: 0.5 })
    const rejected = await limiter.consume('k', 3)
    const fields = rateLimitHeaders(rejected, { standard: 'draft-10', legacy: false })
    expect(Number(parsedItems(header(fields, 'RateLimit') as string)[0]?.params.t)).toBeLessThanOrEqual(
      Number(header(fields, 'Retry-After')),
    )
  })
})

describe('draft-6 and legacy headers', () => {
  it('sends Limit / Remaining / Reset (seconds until the next token) and an unnamed policy', async () => {
    const { out } = await decisions(2, { capacity: 4, refillRate: 0.25 })
    const fields = rateLimitHeaders(out[1] as Decision, { standard: 'draft-6', legacy: true })
    expect(header(fields, 'RateLimit-Limit')).toBe('4')
    expect(header(fields, 'RateLimit-Remaining')).toBe('2')
    expect(header(fields, 'RateLimit-Reset')).toBe('4')
    expect(parseList(header(fields, 'RateLimit-Policy') as string)).toEqual([[4, new Map([['w', 16]])]])
    expect(header(fields, 'X-RateLimit-Limit')).toBe('4')
    expect(header(fields, 'X-RateLimit-Remaining')).toBe('2')
    expect(header(fields, 'X-RateLimit-Reset')).toBe('4')
    expect(header(fields, 'RateLimit')).toBeUndefined()
  })

  // -06 §4: "If a response contains both the Retry-After and the RateLimit-Reset header fields, the
  // RateLimit-Reset header field value SHOULD reference the same point in time as the Retry-After field value."
  it('points RateLimit-Reset and X-RateLimit-Reset at Retry-After when a cost > 1 is rejected', async () => {
    const { limiter } = await decisions(3, { capacity: 4, refillRate: 0.25 })
    const rejected = await limiter.consume('k', 3)
    expect([rejected.allowed, rejected.remaining, rejected.nextTokenMs, rejected.retryAfterMs]).toEqual([
      false,
      1,
      4000,
      8000,
    ])
    const fields = rateLimitHeaders(rejected, { standard: 'draft-6', legacy: true })
    expect(header(fields, 'Retry-After')).toBe('8')
    expect(header(fields, 'RateLimit-Reset')).toBe('8')
    expect(header(fields, 'X-RateLimit-Reset')).toBe('8')
  })

  it('sends nothing standard when headers are off', async () => {
    const { out } = await decisions(1, { capacity: 4, refillRate: 1 })
    expect(rateLimitHeaders(out[0] as Decision, { standard: false, legacy: false })).toEqual([])
  })
})

describe('mergeHeaderValue', () => {
  it('appends list members so two policies both appear, and replaces singletons', async () => {
    const { out } = await decisions(1, { capacity: 4, refillRate: 1, name: 'login' })
    const [policy] = rateLimitHeaders(out[0] as Decision, { standard: 'draft-11', legacy: false })
    const merged = mergeHeaderValue('"global";q=100;w=60', policy as never)
    expect(parsedItems(merged).map((i) => i.name)).toEqual(['global', 'login'])
    expect(mergeHeaderValue('9', { name: 'RateLimit-Remaining', value: '3', list: false })).toBe('3')
  })
})

function retryAfterOf(decision: Decision): string | undefined {
  return header(rateLimitHeaders(decision, { standard: false, legacy: false }), 'Retry-After')
}
