// collectSpillwayMetrics: each Spillway event lands in its Prometheus metric, on a registry of the test's own.

import { MemoryStore, SpillwayConfigError, type Store } from '@spillway/core'
import { createRequestLimiter } from '@spillway/core/adapter'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { collectSpillwayMetrics, type SpillwayMetrics } from '../src/index.js'

const running: SpillwayMetrics[] = []
afterEach(() => {
  for (const metrics of running.splice(0)) metrics.stop()
})

function collect(options: Parameters<typeof collectSpillwayMetrics>[0] = {}) {
  const registry = new Registry()
  const metrics = collectSpillwayMetrics({ registry, ...options })
  running.push(metrics)
  return registry
}

/** A remote store that always fails: the default local fallback decides, and its breaker opens. */
const downStore = (): Store => ({
  name: 'down',
  remote: true,
  consume: () => Promise.reject(new Error('connection refused')),
})

describe('collectSpillwayMetrics', () => {
  it('counts decisions by policy, outcome and source, and observes the store latency', async () => {
    const registry = collect()
    const limiter = createRequestLimiter({ name: 'api', capacity: 2, refillRate: 1 })
    for (let i = 0; i < 3; i++) limiter.check({}, '203.0.113.7')
    const text = await registry.metrics()
    expect(text).toContain('spillway_decisions_total{policy="api",outcome="allowed",source="store"} 2')
    expect(text).toContain('spillway_decisions_total{policy="api",outcome="rejected",source="store"} 1')
    expect(text).toContain('spillway_store_latency_seconds_count{policy="api"} 3')
  })

  it('counts held requests and how long they waited', async () => {
    const registry = collect()
    // A stopped store clock: on the real one, 20 ms between the two checks (T) and the second is not held.
    const store = new MemoryStore({ clock: () => 0 })
    const limiter = createRequestLimiter({ name: 'queue', capacity: 1, refillRate: 50, maxWait: 500, store })
    limiter.check({}, '203.0.113.7')
    await limiter.check({}, '203.0.113.7')
    const text = await registry.metrics()
    expect(text).toContain('spillway_decisions_total{policy="queue",outcome="delayed",source="store"} 1')
    expect(text).toContain('spillway_waits_total{policy="queue",result="released"} 1')
    expect(text).toContain('spillway_wait_seconds_count{policy="queue"} 1')
  })

  it('shows store errors, the breaker opening and fallback decisions of a remote store by default', async () => {
    const registry = collect()
    const limiter = createRequestLimiter({ name: 'remote', capacity: 10, refillRate: 1, store: downStore() })
    for (let i = 0; i < 6; i++) await limiter.check({}, '203.0.113.7')
    const text = await registry.metrics()
    expect(text).toContain('spillway_circuit_state{store="down",partition=""} 2')
    expect(text).toContain('spillway_circuit_transitions_total{store="down",to="open"} 1')
    expect(text).toMatch(/spillway_store_errors_total\{store="down",handled_by="local"\} [5-9]/)
    expect(text).toContain('spillway_decisions_total{policy="remote",outcome="allowed",source="fallback"} 6')
  })

  it('takes a prefix, refuses a second collector on one registry, and unregisters on stop()', async () => {
    const registry = new Registry()
    const first = collectSpillwayMetrics({ registry, prefix: 'api_limits_' })
    expect(() => collectSpillwayMetrics({ registry, prefix: 'api_limits_' })).toThrow(SpillwayConfigError)
    createRequestLimiter({ capacity: 1, refillRate: 1 }).check({}, '192.0.2.1')
    expect(await registry.metrics()).toContain('api_limits_decisions_total{policy="default"')
    first.stop()
    expect(await registry.metrics()).not.toContain('api_limits_')
    running.push(collectSpillwayMetrics({ registry, prefix: 'api_limits_' }))
  })

  it('validates its options', () => {
    const registry = new Registry()
    expect(() => collectSpillwayMetrics({ registry, prefix: 'bad prefix' })).toThrow(/prefix/)
    expect(() => collectSpillwayMetrics({ registry, latencyBuckets: [0.1, 0.01] })).toThrow(/latencyBuckets/)
    expect(() => collectSpillwayMetrics({ registry, labels: {} } as never)).toThrow(/labels/)
  })
})
