// Header writers, checked with an independent RFC 9651 parser (structured-headers), not with our writer.
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

describe('draft-11 headers', () => {
  it('names the policy as an sf-String with q and w, and RateLimit with r and t', async () => {
    const { out } = await decisions(3, { capacity: 10, refillRate: 0.5, name: 'api' })
    const fields = rateLimitHeaders(out[2] as Decision, { standard: 'draft-11', legacy: false })
    expect(parsedItems(header(fields, 'RateLimit-Policy') as string)).toEqual([
      { name: 'api', params: { q: 10, w: 20 } },
    ])
    // 7 tokens left and the next arrives in 2 s: within t = 2 s no more than r = 7 can be used.
    expect(parsedItems(header(fields, 'RateLimit') as string)).toEqual([{ name: 'api', params: { r: 7, t: 2 } }])
    expect(header(fields, 'Retry-After')).toBeUndefined()
  })

  it('adds Retry-After in whole seconds rounded up on a rejection, never 0', async () => {
    const { out } = await decisions(3, { capacity: 2, refillRate: 4 })
    const rejected = out[2] as Decision
    expect(rejected.allowed).toBe(false)
    expect(rejected.retryAfterMs).toBe(250)
    const fields = rateLimitHeaders(rejected, { standard: 'draft-11', legacy: false })
    expect(header(fields, 'Retry-After')).toBe('1')
    expect(parsedItems(header(fields, 'RateLimit') as string)[0]?.params).toEqual({ r: 0, t: 0 })
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
  it('omits t when the bucket is full and sends the time until more quota otherwise', async () => {
    const { limiter, clock } = await decisions(0, { capacity: 5, refillRate: 1 })
    const first = await limiter.consume('k')
    const fields = rateLimitHeaders(first, { standard: 'draft-10', legacy: false })
    expect(parsedItems(header(fields, 'RateLimit') as string)).toEqual([{ name: 'default', params: { r: 4, t: 1 } }])
    clock.nowUs += 10e6
    const untouched = await limiter.consume('other-key')
    expect(untouched.remaining).toBe(4)
    const full = { ...untouched, remaining: 5, nextTokenMs: 0, resetMs: 0 }
    expect(
      parsedItems(header(rateLimitHeaders(full, { standard: 'draft-10', legacy: false }), 'RateLimit') as string),
    ).toEqual([{ name: 'default', params: { r: 5 } }])
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
