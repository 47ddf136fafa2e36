// @spillway/prometheus: Spillway's events (node:diagnostics_channel) as prom-client metrics.
import { SpillwayConfigError, type SpillwayEventHandlers, subscribeSpillwayEvents } from '@spillway/core'
import { optionNames, rejectUnknownOptions, requireObject } from '@spillway/core/store'
import { register as defaultRegistry, type Registry } from 'prom-client'
import {
  CIRCUIT_STATE_VALUE,
  createMetricSet,
  DEFAULT_LATENCY_BUCKETS,
  DEFAULT_WAIT_BUCKETS,
  type MetricSet,
  metricNames,
} from './metric-set.js'

export { CIRCUIT_STATE_VALUE, DEFAULT_LATENCY_BUCKETS, DEFAULT_WAIT_BUCKETS }

/** Options of {@link collectSpillwayMetrics}; every one has a default. */
export interface SpillwayMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global `register`. */
  registry?: Registry
  /** Prepended to every metric name. Default `'spillway_'`. */
  prefix?: string
  /** Buckets (seconds) of the store latency and hybrid sync histograms. Default {@link DEFAULT_LATENCY_BUCKETS}. */
  latencyBuckets?: readonly number[]
  /** Buckets (seconds) of the `maxWait` histogram. Default {@link DEFAULT_WAIT_BUCKETS}. */
  waitBuckets?: readonly number[]
}

/** What {@link collectSpillwayMetrics} returns. */
export interface SpillwayMetrics {
  readonly registry: Registry
  /** Stops listening and removes the metrics from the registry (they can then be collected again). */
  stop(): void
}

const OPTION_NAMES = optionNames<SpillwayMetricsOptions>({
  registry: true,
  prefix: true,
  latencyBuckets: true,
  waitBuckets: true,
})
const PREFIX_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/

/**
 * Listens to every Spillway limiter and store in the process (the `spillway:*` diagnostics channels) and
 * keeps Prometheus metrics of them: `spillway_decisions_total{policy,outcome,source}`,
 * `spillway_store_latency_seconds{policy}`, `spillway_waits_total{policy,result}`,
 * `spillway_wait_seconds{policy}`, `spillway_store_errors_total{store,handled_by}`,
 * `spillway_circuit_state{store,partition}` (0 closed, 1 half-open, 2 open),
 * `spillway_circuit_transitions_total{store,to}`, `spillway_hybrid_syncs_total{store,result}`,
 * `spillway_hybrid_sync_seconds{store}` and `spillway_fleet_size{store}`. Call it once per registry.
 *
 * @example
 * ```ts
 * import { register } from 'prom-client'
 * collectSpillwayMetrics()
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()))
 * ```
 */
export function collectSpillwayMetrics(options: SpillwayMetricsOptions = {}): SpillwayMetrics {
  const { registry, prefix, latencyBuckets, waitBuckets } = resolveOptions(options)
  const taken = metricNames(prefix).find((name) => registry.getSingleMetric(name) !== undefined)
  if (taken !== undefined) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'registry',
      taken,
      'already holds Spillway metrics under this prefix: call collectSpillwayMetrics once per registry, or stop() the first',
    )
  }
  const metrics = createMetricSet({ registry, prefix, latencyBuckets, waitBuckets })
  const unsubscribe = subscribeSpillwayEvents(handlersFor(metrics))
  return {
    registry,
    stop() {
      unsubscribe()
      for (const name of metricNames(prefix)) registry.removeSingleMetric(name)
    },
  }
}

/** Each event updates its metrics; labels are policy and store names, never client keys. */
function handlersFor(metrics: MetricSet): SpillwayEventHandlers {
  return {
    decision({ policy, outcome, decision, storeLatencyMs }) {
      metrics.decisions.inc({ policy, outcome, source: decision.source ?? 'store' })
      metrics.storeLatency.observe({ policy }, storeLatencyMs / 1000)
    },
    wait({ policy, waitedMs, abandoned }) {
      metrics.waits.inc({ policy, result: abandoned ? 'abandoned' : 'released' })
      if (!abandoned) metrics.waitSeconds.observe({ policy }, waitedMs / 1000)
    },
    storeError({ store, handledBy }) {
      metrics.storeErrors.inc({ store, handled_by: handledBy })
    },
    circuit({ store, partition, to }) {
      metrics.circuitState.set({ store, partition }, CIRCUIT_STATE_VALUE[to])
      metrics.circuitTransitions.inc({ store, to })
    },
    hybridSync({ store, ok, durationMs, fleetSize }) {
      metrics.hybridSyncs.inc({ store, result: ok ? 'ok' : 'error' })
      metrics.hybridSyncSeconds.observe({ store }, durationMs / 1000)
      metrics.fleetSize.set({ store }, fleetSize)
    },
  }
}

function resolveOptions(options: SpillwayMetricsOptions) {
  requireObject(options, 'options')
  rejectUnknownOptions(options, OPTION_NAMES, 'collectSpillwayMetrics.')
  const prefix = options.prefix ?? 'spillway_'
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'prefix',
      prefix,
      'must be a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)',
    )
  }
  return {
    registry: options.registry ?? defaultRegistry,
    prefix,
    latencyBuckets: resolveBuckets(options.latencyBuckets, 'latencyBuckets', DEFAULT_LATENCY_BUCKETS),
    waitBuckets: resolveBuckets(options.waitBuckets, 'waitBuckets', DEFAULT_WAIT_BUCKETS),
  }
}

function resolveBuckets(value: unknown, option: string, fallback: readonly number[]): readonly number[] {
  if (value === undefined) return fallback
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((n, i) => typeof n === 'number' && Number.isFinite(n) && n > 0 && (i === 0 || n > value[i - 1]))
  if (valid) return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    option,
    value,
    'must be a non-empty increasing list of seconds > 0',
  )
}
