// maxWait: admission on credit in the bucket step, the bound it keeps, and the pipeline that holds and refunds.
import { EventEmitter } from 'node:events'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRequestLimiter, type LimitOutcome } from '../src/adapter.js'
import { createLimiter, MemoryStore, SpillwayConfigError } from '../src/index.js'
import { admissionWindowUs, createPolicy, describeDecision, stepBucket } from '../src/store.js'
import { WaitQueue } from '../src/wait-queue.js'

/** Arrivals (gap since the previous one, cost) against a policy with maxWait; when each admitted one goes on. */
function proceedTimes(policy: ReturnType<typeof createPolicy>, arrivals: { gapUs: number; cost: number }[]) {
  let nowUs = 0
  let tatUs: number | undefined
  const admitted: { atUs: number; cost: number; waitUs: number }[] = []
  for (const { gapUs, cost } of arrivals) {
    nowUs += gapUs
    const step = stepBucket(policy, { tatUs, nowUs, cost })
    if (!step.allowed) continue
    tatUs = step.tatUs
    const waitUs = Math.max(0, step.debtUs - policy.burstUs)
    admitted.push({ atUs: nowUs + waitUs, cost, waitUs })
  }
  return admitted
}

const waitingPolicy = fc
  .record({
    capacity: fc.integer({ min: 1, max: 20 }),
    intervalUs: fc.integer({ min: 1, max: 500_000 }),
    maxWaitMs: fc.integer({ min: 1, max: 5_000 }),
  })
  .map(({ capacity, intervalUs, maxWaitMs }) =>
    createPolicy({ capacity, refillRate: 1_000_000 / intervalUs, maxWait: maxWaitMs }),
  )

const arrivals = fc.array(
  fc.record({ gapUs: fc.integer({ min: 0, max: 300_000 }), cost: fc.integer({ min: 1, max: 3 }) }),
  { minLength: 1, maxLength: 150 },
)

describe('the bucket step with maxWait', () => {
  it('goes on within maxWait, in arrival order, and never more than B + R·Δ in any window (500 runs)', () => {
    fc.assert(
      fc.property(waitingPolicy, arrivals, (policy, list) => {
        const admitted = proceedTimes(policy, list)
        const maxWaitUs = policy.maxWaitUs ?? 0
        for (const [i, one] of admitted.entries()) {
          expect(one.waitUs).toBeLessThanOrEqual(maxWaitUs)
          if (i > 0) expect(one.atUs).toBeGreaterThanOrEqual((admitted[i - 1] as { atUs: number }).atUs)
        }
        // Tokens going on in [a, b] (b an admission time) ≤ B + (b − a)/T.
        for (let i = 0; i < admitted.length; i++) {
          let tokens = 0
          for (let j = i; j < admitted.length; j++) {
            const last = admitted[j] as { atUs: number; cost: number }
            tokens += last.cost
            const spanUs = last.atUs - (admitted[i] as { atUs: number }).atUs
            expect(tokens).toBeLessThanOrEqual(policy.capacity + Math.floor(spanUs / policy.emissionIntervalUs))
          }
        }
      }),
      { numRuns: 500 },
    )
  })

  it('admits on credit only within the window τ + D, and says how long to wait', () => {
    const policy = createPolicy({ capacity: 2, refillRate: 10, maxWait: 250 }) // T = 100 ms, τ = 200 ms
    expect(admissionWindowUs(policy)).toBe(450_000)
    let tatUs: number | undefined
    const waits: (number | undefined)[] = []
    for (let i = 0; i < 6; i++) {
      const step = stepBucket(policy, { tatUs, nowUs: 0, cost: 1 })
      if (step.allowed) tatUs = step.tatUs
      const decision = describeDecision(policy, step, 1)
      waits.push(decision.allowed ? (decision.waitMs ?? 0) : undefined)
    }
    // Two now, two on credit (100 and 200 ms), the fifth would wait 300 ms > 250: rejected, as is the sixth.
    expect(waits).toEqual([0, 0, 100, 200, undefined, undefined])
    const rejected = describeDecision(policy, stepBucket(policy, { tatUs, nowUs: 0, cost: 1 }), 1)
    expect(rejected).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 300, resetMs: 400 })
  })

  it('is off by default and validated: a duration, at most what setTimeout can wait', () => {
    expect(createPolicy({ capacity: 1, refillRate: 1 }).maxWaitUs).toBeUndefined()
    expect(createPolicy({ capacity: 1, refillRate: 1, maxWait: 0 }).maxWaitUs).toBeUndefined()
    expect(createPolicy({ capacity: 1, refillRate: 1, maxWait: '2s' }).maxWaitUs).toBe(2_000_000)
    for (const bad of [-1, Number.NaN, '2 parsecs', 2 ** 31, true]) {
      expect(() => createPolicy({ capacity: 1, refillRate: 1, maxWait: bad as number })).toThrow(SpillwayConfigError)
    }
  })

  it('carries the wait on limiter.consume: the caller waits decision.waitMs', async () => {
    // A stopped clock: on the real one, the wait shrinks by the time between the two calls.
    const store = new MemoryStore({ clock: () => 0 })
    const limiter = createLimiter({ capacity: 1, refillRate: 10, maxWait: 500, store })
    expect((await limiter.consume('k')).waitMs).toBeUndefined()
    const second = await limiter.consume('k')
    expect(second.allowed).toBe(true)
    expect(second.waitMs).toBe(100)
  })
})

describe('WaitQueue', () => {
  it('releases the requests of one key in arrival order, even when a later one asks for a shorter wait', async () => {
    const queue = new WaitQueue()
    const order: number[] = []
    await Promise.all([
      queue.hold('k', 40).then(() => order.push(1)),
      queue.hold('k', 5).then(() => order.push(2)),
      queue.hold('k', 20).then(() => order.push(3)),
    ])
    expect(order).toEqual([1, 2, 3])
    expect(queue.size).toBe(0)
  })

  it('answers false at once when the response closes, and lets the next waiter go on its own time', async () => {
    const queue = new WaitQueue()
    const raw = Object.assign(new EventEmitter(), { statusCode: 200 })
    const startedMs = performance.now()
    const first = queue.hold('k', 10_000, raw)
    const second = queue.hold('k', 0)
    raw.emit('close')
    expect(await first).toBe(false)
    // The second was behind a 10 s wait; the first left, so it need wait no longer than its own.
    expect(await second).toBe(true)
    expect(performance.now() - startedMs).toBeLessThan(5_000)
  })
})

/** A fake Node response: the pipeline listens for `close`. */
const fakeResponse = () => Object.assign(new EventEmitter(), { statusCode: 200 })

describe('the request pipeline with maxWait', () => {
  const request = {}
  it('holds an admitted request until its tokens are there, in order, then lets it go on', async () => {
    // The store's clock stands still, so all four are decided at one instant (waits 0, 50, 100, 150 ms);
    // the holds run on the real clock. On the real store clock, a stall of 100 ms between two checks would
    // let a later request find its token there and go on at once, before an earlier one still held.
    const store = new MemoryStore({ clock: () => 0 })
    const limiter = createRequestLimiter({ capacity: 1, refillRate: 20, maxWait: 1000, store }) // T = 50 ms
    const startedMs = performance.now()
    const done: { index: number; afterMs: number; kind: string }[] = []
    const checks = [0, 1, 2, 3].map(async (index) => {
      const outcome = await limiter.check({ index }, '203.0.113.7', fakeResponse())
      done.push({ index, afterMs: performance.now() - startedMs, kind: outcome.kind })
    })
    await Promise.all(checks)
    expect(done.map(({ index }) => index)).toEqual([0, 1, 2, 3])
    expect(done.every(({ kind }) => kind === 'allowed')).toBe(true)
    // The fourth reserved the token due at 150 ms: it cannot have gone on earlier.
    expect((done[3] as { afterMs: number }).afterMs).toBeGreaterThanOrEqual(149)
    expect(request).toEqual({})
  })

  it('queues a request whose tokens are there behind an earlier one still held (an event-loop stall)', async () => {
    const clock = { nowUs: 0 }
    const store = new MemoryStore({ clock: () => clock.nowUs })
    const limiter = createRequestLimiter({ capacity: 1, refillRate: 10, maxWait: 1000, store }) // T = 100 ms
    const done: number[] = []
    const track = (index: number, outcome: LimitOutcome | Promise<LimitOutcome>) =>
      Promise.resolve(outcome).then((settled) => done.push(settled.kind === 'allowed' ? index : -index))
    await track(0, limiter.check({}, '203.0.113.7', fakeResponse()))
    const held = track(1, limiter.check({}, '203.0.113.7', fakeResponse())) // waits 100 ms on the real clock
    // The store's clock runs 200 ms ahead (a stall that the hold's timer has not caught up with):
    // the next request finds its token there, but the one before it has not gone on yet.
    clock.nowUs += 200_000
    const later = track(2, limiter.check({}, '203.0.113.7', fakeResponse()))
    await Promise.all([held, later])
    expect(done).toEqual([0, 1, 2])
  })

  it('answers synchronously when there is nothing to wait for', () => {
    const limiter = createRequestLimiter({ capacity: 5, refillRate: 1, maxWait: 1000 })
    const outcome = limiter.check({}, '203.0.113.7', fakeResponse()) as LimitOutcome
    expect(outcome.kind).toBe('allowed')
  })

  it('gives the tokens back when the client leaves while held, and answers 499 to nobody', async () => {
    const store = new MemoryStore({ clock: () => 0 }) // stopped: the bucket's times are exact
    const limiter = createRequestLimiter({ capacity: 1, refillRate: 1, maxWait: 5000, store })
    const peek = createLimiter({ capacity: 1, refillRate: 1, maxWait: 5000, store })
    expect((limiter.check({}, '203.0.113.7') as LimitOutcome).kind).toBe('allowed')
    const raw = fakeResponse()
    const held = limiter.check({}, '203.0.113.7', raw)
    expect((await peek.peek('203.0.113.7')).resetMs).toBe(2000) // two tokens owed
    raw.emit('close')
    const outcome = await held
    expect(outcome).toMatchObject({ kind: 'rejected', decision: undefined, response: { status: 499 } })
    expect((await peek.peek('203.0.113.7')).resetMs).toBe(1000) // one token owed: the held request's came back
  })

  it('rejects what would wait longer than maxWait', () => {
    const limiter = createRequestLimiter({ capacity: 1, refillRate: 1, maxWait: 500 })
    expect((limiter.check({}, '203.0.113.7') as LimitOutcome).kind).toBe('allowed')
    const outcome = limiter.check({}, '203.0.113.7') as LimitOutcome
    expect(outcome.kind).toBe('rejected')
  })

  it('rejects a bad maxWait at construction', () => {
    expect(() => createRequestLimiter({ capacity: 1, refillRate: 1, maxWait: -5 })).toThrow(/maxWait/)
  })
})
