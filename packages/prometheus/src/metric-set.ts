// The Prometheus metrics Spillway exposes: names, help texts and labels, created on one registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Seconds: from an in-process decision (≈ µs) to the 50 ms budget of a remote store and past it. */
export const DEFAULT_LATENCY_BUCKETS = [
  0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
] as const

/** Seconds a held request (`maxWait`) waited. */
export const DEFAULT_WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/** The value of `<prefix>circuit_state` for each state. */
export const CIRCUIT_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const

/** Every metric, built on one registry. */
export interface MetricSet {
  readonly decisions: Counter<'policy' | 'outcome' | 'source'>
  readonly storeLatency: Histogram<'policy'>
  readonly waits: Counter<'policy' | 'result'>
  readonly waitSeconds: Histogram<'policy'>
  readonly storeErrors: Counter<'store' | 'handled_by'>
  readonly circuitState: Gauge<'store' | 'partition'>
  readonly circuitTransitions: Counter<'store' | 'to'>
  readonly hybridSyncs: Counter<'store' | 'result'>
  readonly hybridSyncSeconds: Histogram<'store'>
  readonly fleetSize: Gauge<'store'>
}

/** Options {@link createMetricSet} needs, validated. */
export interface MetricSetOptions {
  readonly registry: Registry
  readonly prefix: string
  readonly latencyBuckets: readonly number[]
  readonly waitBuckets: readonly number[]
}

/**
 * Creates the metrics on `registry`. Labels never include the client key: its cardinality is the
 * number of clients.
 *
 * @example
 * ```ts
 * const metrics = createMetricSet({ registry, prefix: 'spillway_', latencyBuckets: [...DEFAULT_LATENCY_BUCKETS], waitBuckets: [...DEFAULT_WAIT_BUCKETS] })
 * ```
 */
export function createMetricSet({ registry, prefix, latencyBuckets, waitBuckets }: MetricSetOptions): MetricSet {
  const registers = [registry]
  return {
    decisions: new Counter({
      name: `${prefix}decisions_total`,
      help: 'Requests decided, by policy, outcome (allowed, delayed, rejected) and source (store, fallback).',
      labelNames: ['policy', 'outcome', 'source'],
      registers,
    }),
    storeLatency: new Histogram({
      name: `${prefix}store_latency_seconds`,
      help: 'Time from asking the store to its answer, per decision (the local fallback included).',
      labelNames: ['policy'],
      buckets: [...latencyBuckets],
      registers,
    }),
    waits: new Counter({
      name: `${prefix}waits_total`,
      help: 'Requests held by maxWait, by how the wait ended (released, abandoned: the client left and was refunded).',
      labelNames: ['policy', 'result'],
      registers,
    }),
    waitSeconds: new Histogram({
      name: `${prefix}wait_seconds`,
      help: 'Time a request held by maxWait waited.',
      labelNames: ['policy'],
      buckets: [...waitBuckets],
      registers,
    }),
    storeErrors: new Counter({
      name: `${prefix}store_errors_total`,
      help: 'Store failures and timeouts, by store and what decided instead (local, allow, deny, error).',
      labelNames: ['store', 'handled_by'],
      registers,
    }),
    circuitState: new Gauge({
      name: `${prefix}circuit_state`,
      help: 'Circuit breaker state per store and partition: 0 closed, 1 half-open, 2 open.',
      labelNames: ['store', 'partition'],
      registers,
    }),
    circuitTransitions: new Counter({
      name: `${prefix}circuit_transitions_total`,
      help: 'Circuit breaker transitions, by store and the state entered.',
      labelNames: ['store', 'to'],
      registers,
    }),
    hybridSyncs: new Counter({
      name: `${prefix}hybrid_syncs_total`,
      help: 'HybridStore sync calls, by result (ok, error).',
      labelNames: ['store', 'result'],
      registers,
    }),
    hybridSyncSeconds: new Histogram({
      name: `${prefix}hybrid_sync_seconds`,
      help: 'Duration of HybridStore sync calls.',
      labelNames: ['store'],
      buckets: [...latencyBuckets],
      registers,
    }),
    fleetSize: new Gauge({
      name: `${prefix}fleet_size`,
      help: 'N, the processes sharing the store, as the HybridStore last learnt it.',
      labelNames: ['store'],
      registers,
    }),
  }
}

/** Every metric name the set registers, for unregistering. */
export function metricNames(prefix: string): string[] {
  return [
    'decisions_total',
    'store_latency_seconds',
    'waits_total',
    'wait_seconds',
    'store_errors_total',
    'circuit_state',
    'circuit_transitions_total',
    'hybrid_syncs_total',
    'hybrid_sync_seconds',
    'fleet_size',
  ].map((name) => `${prefix}${name}`)
}
