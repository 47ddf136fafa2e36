// mergeHeaderFields: what a response carries after several policies (app-wide, then a route's) wrote to it.
// Each test quotes the draft sentence it enforces (draft-ietf-httpapi-ratelimit-headers-06 unless it says).
import { parseList } from 'structured-headers'
import { describe, expect, it } from 'vitest'
import { type HeaderField, type HeaderOptions, mergeHeaderFields, rateLimitHeaders } from '../src/adapter.js'
import { createLimiter, type Decision, MemoryStore } from '../src/index.js'

/** A response as the adapters build it: each policy's fields merged onto what is already there. */
function respond(...sets: readonly HeaderField[][]): Map<string, string> {
  const headers = new Map<string, string>()
  // Koa reads a missing header as '', the others as undefined: use Koa's, the harder case.
  const read = (name: string) => headers.get(name.toLowerCase()) ?? ''
  for (const fields of sets) {
    for (const field of mergeHeaderFields(fields, read)) headers.set(field.name.toLowerCase(), field.value)
  }
  return headers
}

/** One decision per policy after `spent` requests of cost 1, then (optionally) one of `lastCost`. */
async function decide(policy: { name: string; capacity: number; refillRate: number }, spent: number, lastCost = 1) {
  const store = new MemoryStore({ clock: () => 0 })
  const limiter = createLimiter({ ...policy, store })
  for (let i = 0; i < spent; i++) await limiter.consume('k')
  return limiter.consume('k', lastCost)
}

const DRAFT6: HeaderOptions = { standard: 'draft-6', legacy: true }
const DRAFT11: HeaderOptions = { standard: 'draft-11', legacy: false }
const fieldsOf = (decision: Decision, options: HeaderOptions = DRAFT6) => rateLimitHeaders(decision, options)

describe('draft-6: several policies on one response', () => {
  // §3.2: "Two quota policies MUST NOT be associated with the same quota units value."
  it('lists one RateLimit-Policy item per quota value, keeping the longer (stricter) window', async () => {
    const perMinute = await decide({ name: 'global', capacity: 5, refillRate: 5 / 60 }, 0)
    const perFiveMinutes = await decide({ name: 'login', capacity: 5, refillRate: 5 / 300 }, 0)
    for (const order of [
      [perMinute, perFiveMinutes],
      [perFiveMinutes, perMinute],
    ]) {
      const policy = respond(...order.map((d) => fieldsOf(d))).get('ratelimit-policy') as string
      expect(parseList(policy)).toEqual([[5, new Map([['w', 300]])]])
    }
    const other = await decide({ name: 'burst', capacity: 10, refillRate: 1 }, 0)
    const both = respond(fieldsOf(perMinute), fieldsOf(other)).get('ratelimit-policy') as string
    expect(parseList(both).map(([quota]) => quota)).toEqual([5, 10])
  })

  // §3.1: "The expiring-limit MUST be set to the service limit that is closest to reaching its limit";
  // §4: "the server MUST reply with the RateLimit header fields related to the time window with the lower
  // RateLimit-Remaining header field values."
  it('describes the policy closest to its limit in Limit / Remaining / Reset, in either order', async () => {
    const nearlyEmpty = await decide({ name: 'global', capacity: 10, refillRate: 1 }, 7) // 2 left
    const roomy = await decide({ name: 'login', capacity: 20, refillRate: 1 }, 0) // 19 left
    for (const order of [
      [nearlyEmpty, roomy],
      [roomy, nearlyEmpty],
    ]) {
      const headers = respond(...order.map((d) => fieldsOf(d)))
      expect([
        headers.get('ratelimit-limit'),
        headers.get('ratelimit-remaining'),
        headers.get('ratelimit-reset'),
      ]).toEqual(['10', '2', '1'])
      expect([headers.get('x-ratelimit-limit'), headers.get('x-ratelimit-remaining')]).toEqual(['10', '2'])
    }
  })

  // §4: "the RateLimit-Reset header field value SHOULD reference the same point in time as the Retry-After".
  it('describes a rejecting policy over an allowed one with fewer tokens, and Reset = Retry-After', async () => {
    const drained = await decide({ name: 'global', capacity: 10, refillRate: 0.1 }, 9) // allowed, 0 left
    const rejected = await decide({ name: 'upload', capacity: 4, refillRate: 0.5 }, 3, 3) // 1 left, needs 3
    expect([drained.allowed, drained.remaining, rejected.allowed, rejected.remaining]).toEqual([true, 0, false, 1])
    expect([rejected.nextTokenMs, rejected.retryAfterMs]).toEqual([2000, 4000])
    // In either order: adapters apply the app-wide policy first; an all-or-nothing decision may not.
    for (const order of [
      [drained, rejected],
      [rejected, drained],
    ]) {
      const headers = respond(...order.map((d) => fieldsOf(d)))
      expect(headers.get('retry-after')).toBe('4')
      const trio = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((name) => headers.get(name))
      expect(trio).toEqual(['4', '1', '4'])
      expect(headers.get('x-ratelimit-reset')).toBe('4')
    }
  })

  it('keeps the longest Retry-After when two rejections meet, with Reset at the same second', async () => {
    const soon = await decide({ name: 'a', capacity: 1, refillRate: 1 }, 1) // retry in 1 s
    const later = await decide({ name: 'b', capacity: 1, refillRate: 0.2 }, 1) // retry in 5 s
    for (const order of [
      [soon, later],
      [later, soon],
    ]) {
      const headers = respond(...order.map((d) => fieldsOf(d)))
      expect([headers.get('retry-after'), headers.get('ratelimit-reset')]).toEqual(['5', '5'])
    }
  })
})

describe('draft-10 and draft-11: several policies on one response', () => {
  // -10 §3: "Lists of Quota Policy Items can be split over multiple "RateLimit-Policy" fields in the same
  // HTTP response"; each policy keeps its own named item in both lists.
  it('appends each policy to RateLimit-Policy and RateLimit, named', async () => {
    const global = await decide({ name: 'global', capacity: 5, refillRate: 5 / 60 }, 1)
    const login = await decide({ name: 'login', capacity: 5, refillRate: 5 / 300 }, 0)
    for (const standard of ['draft-11', 'draft-10'] as const) {
      const headers = respond(
        fieldsOf(global, { standard, legacy: false }),
        fieldsOf(login, { standard, legacy: false }),
      )
      expect(
        parseList(headers.get('ratelimit-policy') as string).map(([name, params]) => [name, params.get('w')]),
      ).toEqual([
        ['global', 60],
        ['login', 300],
      ])
      expect(parseList(headers.get('ratelimit') as string).map(([name, params]) => [name, params.get('r')])).toEqual([
        ['global', 3],
        ['login', 4],
      ])
    }
  })

  it('appends to a value the framework holds as an array', () => {
    const field = { name: 'RateLimit', value: '"b";r=1;t=1', list: true }
    expect(mergeHeaderFields([field], () => ['"a";r=2;t=1'])).toEqual([{ ...field, value: '"a";r=2;t=1, "b";r=1;t=1' }])
  })
})

describe('the first policy on a response', () => {
  it('sets its fields as they are, with no copy, when the response carries none of them', async () => {
    const fields = fieldsOf(await decide({ name: 'global', capacity: 5, refillRate: 1 }, 0), DRAFT11)
    expect(mergeHeaderFields(fields, () => undefined)).toBe(fields)
  })

  it('merges (a new list) as soon as the response carries one of them, or a Retry-After is sent', async () => {
    const admitted = fieldsOf(await decide({ name: 'global', capacity: 5, refillRate: 1 }, 0), DRAFT11)
    const carried = (name: string) => (name === 'RateLimit' ? '"other";r=1;t=1' : undefined)
    const merged = mergeHeaderFields(admitted, carried)
    expect(merged).not.toBe(admitted)
    expect(merged.find((field) => field.name === 'RateLimit')?.value).toBe('"other";r=1;t=1, "global";r=4;t=4')
    const rejected = fieldsOf(await decide({ name: 'global', capacity: 1, refillRate: 1 }, 1), DRAFT11)
    expect(mergeHeaderFields(rejected, () => undefined)).not.toBe(rejected)
  })
})
