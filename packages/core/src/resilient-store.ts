// resilient(store): a time budget, a circuit breaker and a local fallback, composed with good defaults.
import {
  type CircuitBreakerOptions,
  type CircuitBreakerStore,
  type CircuitState,
  pickBreakerOptions,
  withCircuitBreaker,
} from './circuit-breaker.js'
import { type FallbackOptions, fallbackStore, resolveFallbackOptions } from './store-fallback.js'
import { checkTimeoutMs, withTimeout } from './store-timeout.js'
import type { Store } from './types.js'
import { rejectUnknownOptions, requireObject } from './validate.js'

/** Options of {@link resilient}: every one has a default. */
export interface ResilientOptions extends CircuitBreakerOptions, FallbackOptions {
  /** The time budget of one decision by the wrapped store, in ms. Default 50. */
  timeoutMs?: number
}

/** A resilient store: a {@link Store} whose circuit state can be read. */
export interface ResilientStore extends Store {
  /** The circuit state for `key` (see `withCircuitBreaker`): `closed` while the store decides. */
  stateOf(key?: string): CircuitState
}

export const DEFAULT_TIMEOUT_MS = 50

const RESILIENT_OPTIONS = [
  'timeoutMs',
  'failureThreshold',
  'coolDownMs',
  'onStateChange',
  'partitionOf',
  'clock',
  'local',
  'fleetSize',
  'onFallback',
] as const satisfies ReadonlyArray<keyof ResilientOptions>

/**
 * Makes a remote store safe to put in front of an API: each decision waits at most `timeoutMs`
 * (default 50 ms); `failureThreshold` failures in a row (default 5) open a circuit breaker that stops
 * calling the store for `coolDownMs` (default 1000 ms), then lets one probe through; every decision the
 * store cannot make is made in-process on this process's share `(⌈B/N⌉, R/N)` of the limit, with N
 * from `fleetSize` (default 1). Composition: `withFallback(withCircuitBreaker(withTimeout(store)))`.
 *
 * @example
 * ```ts
 * const heartbeat = startFleetHeartbeat({ client })
 * const store = resilient(new RedisStore({ client }), {
 *   fleetSize: heartbeat.fleetSize,
 *   onStateChange: ({ from, to, error }) => console.warn(`rate-limit store ${from} → ${to}`, error ?? ''),
 * })
 * app.use(rateLimit({ capacity: 100, refillRate: 10, store }))
 * ```
 */
export function resilient(store: Store, options: ResilientOptions = {}): ResilientStore {
  requireObject(options, 'resilient options')
  rejectUnknownOptions(options, RESILIENT_OPTIONS, 'resilient.')
  const timeoutMs =
    options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : checkTimeoutMs(options.timeoutMs, 'resilient.timeoutMs')
  const breakerOptions = pickBreakerOptions(options, 'resilient.')
  const fallbackOptions = resolveFallbackOptions(options, 'resilient.')
  const breaker: CircuitBreakerStore = withCircuitBreaker(withTimeout(store, { timeoutMs }), breakerOptions)
  const fallback = fallbackStore(breaker, fallbackOptions)
  return { ...fallback, stateOf: breaker.stateOf }
}
