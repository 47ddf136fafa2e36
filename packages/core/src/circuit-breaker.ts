// withCircuitBreaker: after repeated failures, stop calling a store for a cool-down, then probe it once.

import { publishEvent } from './events.js'
import { callOptional, checkTimeoutMs, consumeAllOf } from './store-timeout.js'
import type { ConsumeStep, Policy, Store } from './types.js'
import { optionalFunction, rejectUnknownOptions, requireObject, requirePositiveInteger } from './validate.js'

/** `closed`: calls go through. `open`: calls fail at once. `half-open`: one probe is in flight. */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** What `onStateChange` receives on every transition. */
export interface CircuitTransition {
  readonly from: CircuitState
  readonly to: CircuitState
  /** The failure that opened (or re-opened) the circuit; absent when it closes or half-opens. */
  readonly error?: unknown
  /** The partition whose circuit moved (see `partitionOf`); `''` when there is one circuit. */
  readonly partition: string
}

/** Options of {@link withCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Failures in a row (no success between them) that open the circuit. Default 5. */
  failureThreshold?: number
  /** How long an open circuit fails calls at once before it lets one probe through, in ms. Default 1000. */
  coolDownMs?: number
  /** Called on every transition, synchronously; what it throws is ignored. Log and alert from here. */
  onStateChange?: (transition: CircuitTransition) => void
  /**
   * Which circuit a key belongs to, when parts of the store fail on their own (one circuit per Redis
   * Cluster master: `redisNodeOf(store)` in `@spillway/redis`). Default: one circuit for the store.
   */
  partitionOf?: (key: string) => string
  /** Milliseconds on a monotonic clock, for the cool-down. Default `performance.now()`. Inject in tests. */
  clock?: () => number
}

/** A store behind a circuit breaker: what it adds to {@link Store}. */
export interface CircuitBreakerStore extends Store {
  /** The state of the circuit that `key` belongs to (the only one when there are no partitions). */
  stateOf(key?: string): CircuitState
}

/** A call refused at once because the circuit is open (or its one probe is in flight). */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError'
  readonly code = 'ERR_SPILLWAY_CIRCUIT_OPEN'

  constructor(storeName: string, partition: string) {
    super(`[spillway] the circuit to the ${storeName} store${partition ? ` (${partition})` : ''} is open`)
  }
}

export const DEFAULT_FAILURE_THRESHOLD = 5
export const DEFAULT_COOL_DOWN_MS = 1000

const BREAKER_OPTIONS = ['failureThreshold', 'coolDownMs', 'onStateChange', 'partitionOf', 'clock'] as const

/** One circuit's bookkeeping. `generation` grows on each transition, so stale answers change nothing. */
interface Circuit {
  state: CircuitState
  failures: number
  openedAtMs: number
  generation: number
}

/**
 * Wraps `store` in a circuit breaker. Closed, calls go through and `failureThreshold` failures in a
 * row open the circuit. Open, calls reject at once with a {@link CircuitOpenError} (no call reaches
 * the store, so none waits for it) until `coolDownMs` has passed; then the next call is the one probe
 * (half-open; the others still reject at once). The probe's success closes the circuit, its failure
 * opens it for another cool-down. `consumeAll` (on the circuit of its first key), `peek`, `reset` and `refund` (when the store has them) go through the
 * same circuit. Put it outside a {@link withTimeout}, so that a hang is a failure.
 *
 * @example
 * ```ts
 * const store = withCircuitBreaker(withTimeout(redisStore, { timeoutMs: 50 }), {
 *   failureThreshold: 5,
 *   coolDownMs: 1000,
 *   onStateChange: ({ from, to, error }) => log.warn({ from, to, error }, 'rate-limit store circuit'),
 * })
 * ```
 */
export function withCircuitBreaker(store: Store, options: CircuitBreakerOptions = {}): CircuitBreakerStore {
  const settings = resolveBreakerOptions(options, 'withCircuitBreaker.')
  const circuits = new Map<string, Circuit>()
  const circuitOf = (partition: string): Circuit => {
    let circuit = circuits.get(partition)
    if (circuit === undefined) {
      circuit = { state: 'closed', failures: 0, openedAtMs: 0, generation: 0 }
      circuits.set(partition, circuit)
    }
    return circuit
  }
  const move = (circuit: Circuit, partition: string, to: CircuitState, error?: unknown) => {
    const from = circuit.state
    circuit.state = to
    circuit.generation++
    if (to === 'open') circuit.openedAtMs = settings.clock()
    if (to !== 'open') circuit.failures = 0
    notify(settings.onStateChange, { from, to, partition, ...(error !== undefined && { error }) })
    publishEvent('circuit', () => ({ store: store.name, partition, from, to, ...(error !== undefined && { error }) }))
  }
  /** One call through the circuit of `key`: refused at once while it is open, counted when it fails. */
  const guarded = <T>(key: string, call: () => Promise<T>): Promise<T> => {
    const partition = settings.partitionOf(key)
    const circuit = circuitOf(partition)
    if (circuit.state === 'half-open' || (circuit.state === 'open' && !coolDownOver(circuit, settings))) {
      return Promise.reject(new CircuitOpenError(store.name, partition))
    }
    if (circuit.state === 'open') move(circuit, partition, 'half-open')
    const generation = circuit.generation
    return callStore(call).then(
      (value) => {
        if (circuit.generation !== generation) return value
        if (circuit.state === 'half-open') move(circuit, partition, 'closed')
        else circuit.failures = 0
        return value
      },
      (error: unknown) => {
        if (circuit.generation === generation) {
          circuit.failures++
          const trips = circuit.state === 'half-open' || circuit.failures >= settings.failureThreshold
          if (trips) move(circuit, partition, 'open', error)
        }
        throw error
      },
    )
  }
  return {
    name: store.name,
    keySpace: store.keySpace ?? store,
    stateOf: (key = '') => circuits.get(settings.partitionOf(key))?.state ?? 'closed',
    consume: (key: string, policy: Policy, cost: number) => guarded(key, () => store.consume(key, policy, cost)),
    // The circuit of the first bucket: the steps of one call are one identity, so one partition.
    ...(store.consumeAll && {
      consumeAll: (steps: readonly ConsumeStep[]) => guarded(steps[0]?.key ?? '', () => consumeAllOf(store, steps)),
    }),
    ...(store.peek && {
      peek: (key: string, policy: Policy) => guarded(key, () => callOptional(store, 'peek', key, policy)),
    }),
    ...(store.reset && {
      reset: (key: string, policy: Policy) => guarded(key, () => callOptional(store, 'reset', key, policy)),
    }),
    ...(store.refund && {
      refund: (key: string, policy: Policy, tokens: number) =>
        guarded(key, () => callOptional(store, 'refund', key, policy, tokens)),
    }),
    close: () => store.close?.() ?? Promise.resolve(),
  }
}

/** Validated breaker options with their defaults (the option path starts with `path`). */
export interface ResolvedBreakerOptions {
  readonly failureThreshold: number
  readonly coolDownMs: number
  readonly onStateChange: ((transition: CircuitTransition) => void) | undefined
  readonly partitionOf: (key: string) => string
  readonly clock: () => number
}

function resolveBreakerOptions(options: CircuitBreakerOptions, path: string): ResolvedBreakerOptions {
  requireObject(options, `${path.slice(0, -1)} options`)
  rejectUnknownOptions(options, BREAKER_OPTIONS, path)
  return pickBreakerOptions(options, path)
}

/** Validates the breaker's options inside a larger options object (e.g. `resilient`'s). */
export function pickBreakerOptions(options: CircuitBreakerOptions, path: string): ResolvedBreakerOptions {
  const { failureThreshold, coolDownMs } = options
  return {
    failureThreshold:
      failureThreshold === undefined
        ? DEFAULT_FAILURE_THRESHOLD
        : requirePositiveInteger(failureThreshold, `${path}failureThreshold`),
    coolDownMs: coolDownMs === undefined ? DEFAULT_COOL_DOWN_MS : checkTimeoutMs(coolDownMs, `${path}coolDownMs`),
    onStateChange: optionalFunction(options.onStateChange, `${path}onStateChange`),
    partitionOf: optionalFunction<(key: string) => string>(options.partitionOf, `${path}partitionOf`) ?? onePartition,
    clock: optionalFunction<() => number>(options.clock, `${path}clock`) ?? (() => performance.now()),
  }
}

const onePartition = () => ''

function coolDownOver(circuit: Circuit, settings: ResolvedBreakerOptions): boolean {
  return settings.clock() - circuit.openedAtMs >= settings.coolDownMs
}

/** Calls the store; a synchronous throw is a failure like a rejection. */
function callStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(call())
  } catch (error) {
    return Promise.reject(error)
  }
}

/** Runs the user's hook; a hook that throws must not change a decision. */
function notify(hook: ((transition: CircuitTransition) => void) | undefined, transition: CircuitTransition): void {
  if (hook === undefined) return
  try {
    hook(transition)
  } catch {
    // the hook's failure is the hook's: the breaker carries on
  }
}
