// The event surface: what each diagnostics channel publishes, the default remote-store path included.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { createPolicyStack, createRequestLimiter, type LimitOutcome } from '../src/adapter.js'
import {
  type CircuitEvent,
  type DecisionEvent,
  EVENT_CHANNELS,
  MemoryStore,
  type StoreErrorEvent,
  subscribeSpillwayEvents,
  type WaitEvent,
} from '../src/index.js'
import { publishEvent } from '../src/store.js'
import type { Store } from '../src/types.js'
import { ScriptedStore } from './test-stores.js'

const stops: Array<() => void> = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

/** Collects every event of the named channels until the test ends. */
function collect() {
  const seen = {
    decision: [] as DecisionEvent[],
    wait: [] as WaitEvent[],
    storeError: [] as StoreErrorEvent[],
    circuit: [] as CircuitEvent[],
  }
  stops.push(
    subscribeSpillwayEvents({
      decision: (event) => seen.decision.push(event),
      wait: (event) => seen.wait.push(event),
      storeError: (event) => seen.storeError.push(event),
      circuit: (event) => seen.circuit.push(event),
    }),
  )
  return seen
}

describe('spillway events', () => {
  it('publishes one decision per decided request, with its policy, key, outcome and store latency', () => {
    const seen = collect()
    const limiter = createRequestLimiter({ name: 'api', capacity: 1, refillRate: 1 })
    limiter.check({}, '203.0.113.7')
    limiter.check({}, '203.0.113.7')
    expect(seen.decision.map(({ policy, key, outcome }) => [policy, key, outcome])).toEqual([
      ['api', '203.0.113.7', 'allowed'],
      ['api', '203.0.113.7', 'rejected'],
    ])
    expect(seen.decision[0]?.storeLatencyMs).toBeGreaterThanOrEqual(0)
    expect(seen.decision[1]?.decision.retryAfterMs).toBeGreaterThan(0)
  })

  it('says delayed for a request admitted on credit, and publishes how its wait ended', async () => {
    const seen = collect()
    // A stopped store clock: with the real one, 5 ms between the checks left a wait under 15 ms, and 20 ms none.
    const store = new MemoryStore({ clock: () => 0 })
    const limiter = createRequestLimiter({ name: 'slow', capacity: 1, refillRate: 50, maxWait: 1000, store })
    limiter.check({}, '203.0.113.7')
    await limiter.check({}, '203.0.113.7')
    expect(seen.decision.map(({ outcome }) => outcome)).toEqual(['allowed', 'delayed'])
    expect(seen.wait).toHaveLength(1)
    expect(seen.wait[0]).toMatchObject({ policy: 'slow', key: '203.0.113.7', cost: 1, abandoned: false })
    expect(seen.wait[0]?.waitedMs).toBeGreaterThanOrEqual(15)
  })

  it('reaches subscribers of the raw channel name (another copy of Spillway publishes on the same one)', () => {
    const received: unknown[] = []
    const listener = (message: unknown) => received.push(message)
    subscribe(EVENT_CHANNELS.decision, listener)
    stops.push(() => unsubscribe(EVENT_CHANNELS.decision, listener))
    createRequestLimiter({ capacity: 1, refillRate: 1 }).check({}, '192.0.2.1')
    expect(received).toHaveLength(1)
  })

  it('builds no message while nobody listens', () => {
    let built = 0
    publishEvent('circuit', () => {
      built++
      return { store: 'x', partition: '', from: 'closed', to: 'open' }
    })
    expect(built).toBe(0)
  })

  it('reports store errors and breaker transitions from the default local fallback of a remote store', async () => {
    const seen = collect()
    const inner = Object.assign(new ScriptedStore(), { remote: true }) as ScriptedStore & Store
    inner.behaviour = 'fail'
    const limiter = createRequestLimiter({ name: 'remote', capacity: 10, refillRate: 1, store: inner })
    const outcomes: LimitOutcome[] = []
    for (let i = 0; i < 6; i++) outcomes.push(await limiter.check({}, '203.0.113.7'))
    expect(outcomes.every((outcome) => outcome.kind === 'allowed')).toBe(true)
    expect(seen.storeError.length).toBeGreaterThanOrEqual(5)
    expect(seen.storeError[0]).toMatchObject({ store: 'scripted', handledBy: 'local' })
    expect(seen.circuit).toEqual([
      expect.objectContaining({ store: 'scripted', partition: '', from: 'closed', to: 'open' }),
    ])
    expect(seen.decision.every(({ decision }) => decision.source === 'fallback')).toBe(true)
  })

  it('reports a store error the pipeline handles with onStoreError', async () => {
    const seen = collect()
    const inner = new ScriptedStore()
    inner.behaviour = 'fail'
    const limiter = createRequestLimiter({
      name: 'denying',
      capacity: 1,
      refillRate: 1,
      store: inner,
      onStoreError: 'deny',
    })
    await limiter.check({}, '203.0.113.7')
    expect(seen.storeError).toEqual([
      expect.objectContaining({ store: 'scripted', handledBy: 'deny', policy: 'denying' }),
    ])
  })

  it('publishes each policy of a stacked decision, naming the policies that rejected the request', () => {
    const seen = collect()
    const store = new MemoryStore()
    const appWide = createRequestLimiter({ name: 'global', capacity: 5, refillRate: 1, store })
    const route = createRequestLimiter({ name: 'login', capacity: 1, refillRate: 1, store })
    const stack = createPolicyStack([appWide, route])
    stack.check({}, '203.0.113.7')
    stack.check({}, '203.0.113.7')
    expect(seen.decision.map(({ policy, outcome, violatedPolicies }) => [policy, outcome, violatedPolicies])).toEqual([
      ['global', 'allowed', []],
      ['login', 'allowed', []],
      ['global', 'allowed', ['login']],
      ['login', 'rejected', ['login']],
    ])
    expect(seen.decision.every(({ storeLatencyMs }) => storeLatencyMs >= 0)).toBe(true)
  })

  it('publishes a route policy decided with the held tokens of an earlier one (Express, Koa)', () => {
    const seen = collect()
    const store = new MemoryStore()
    const appWide = createRequestLimiter({ name: 'global', capacity: 5, refillRate: 1, store })
    const route = createRequestLimiter({ name: 'login', capacity: 1, refillRate: 1, store })
    for (const request of [{}, {}]) {
      const outcome = appWide.check(request, '203.0.113.7') as LimitOutcome
      const raw = { statusCode: 200, once: () => undefined }
      appWide.record(outcome, { holder: {}, request, response: raw, raw })
      route.check(request, '203.0.113.7')
    }
    expect(seen.decision.map(({ policy, outcome, violatedPolicies }) => [policy, outcome, violatedPolicies])).toEqual([
      ['global', 'allowed', undefined],
      ['login', 'allowed', []],
      ['global', 'allowed', undefined],
      ['login', 'rejected', ['login']],
    ])
  })

  it('publishes the policies of a stack with a blockDuration policy, each decided alone', () => {
    const seen = collect()
    const store = new MemoryStore()
    const appWide = createRequestLimiter({ name: 'global', capacity: 5, refillRate: 1, store })
    const route = createRequestLimiter({ name: 'login', capacity: 1, refillRate: 1, blockDuration: '1m', store })
    createPolicyStack([appWide, route]).check({}, '203.0.113.7')
    expect(seen.decision.map(({ policy, violatedPolicies }) => [policy, violatedPolicies])).toEqual([
      ['global', undefined],
      ['login', undefined],
    ])
  })

  it('names the policy a capacity function picked (its variant)', () => {
    const seen = collect()
    const limiter = createRequestLimiter({ name: 'tiers', capacity: () => 100, refillRate: 10 })
    limiter.check({}, '203.0.113.7')
    expect(seen.decision.map(({ policy, outcome }) => [policy, outcome])).toEqual([['tiers:100@10/s', 'allowed']])
  })

  it('stops delivering once unsubscribed', () => {
    const received: unknown[] = []
    const stop = subscribeSpillwayEvents({ decision: (event) => received.push(event) })
    stop()
    createRequestLimiter({ capacity: 1, refillRate: 1 }).check({}, '192.0.2.1')
    expect(received).toEqual([])
  })
})
