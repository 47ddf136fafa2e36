// withFallback: when the store fails, decide in-process on this process's share of the limit.

import { SpillwayConfigError } from './errors.js'
import { publishEvent } from './events.js'
import { MemoryStore } from './memory-store.js'
import { cachedSharePolicy } from './share-policy.js'
import { callOptional, consumeAllOf } from './store-timeout.js'
import type { ConsumeStep, Policy, StepResult, Store } from './types.js'
import { optionalFunction, rejectUnknownOptions, requireObject } from './validate.js'

/** Options of {@link withFallback}. */
export interface FallbackOptions {
  /** The in-process store that decides while the remote one cannot. Default: a new `MemoryStore()`. */
  local?: MemoryStore
  /**
   * How many processes share the limit now (N): each decides alone on `(⌈B/N⌉, R/N)`. Read on every
   * fallback decision; a value that is not a whole number ≥ 1 counts as 1. Default `() => 1`: the
   * whole limit, right for one process. With several, pass `heartbeat.fleetSize` (`@spillway/redis`).
   */
  fleetSize?: () => number
  /** Called with the store's error each time the fallback decides (keep it cheap); throws are ignored. */
  onFallback?: (error: unknown) => void
}

const FALLBACK_OPTIONS = ['local', 'fleetSize', 'onFallback'] as const

/**
 * Wraps `store` so that a failed `consume` (an error, a `StoreTimeoutError`, an open circuit) is
 * decided by `local` on this process's share of the policy instead of failing: the limiter keeps
 * limiting, never admits everything, never answers 5xx. Such decisions say `source: 'fallback'` and
 * carry the share's `remaining` and times. The local buckets start full: over an outage of `D` s the
 * fleet admits about `B + R·D·N_true/N` (see docs/failure-handling.md). `close()` closes `store`, and
 * `local` when the wrapper created it. `consumeAll` falls back to an all-or-nothing decision on the local shares (a held step is given back
 * to the local share, never to the remote bucket it may have come from); `peek` and `refund` fall back to
 * the local share the same way;
 * `reset` forgets the local bucket too, and rejects when the store cannot reset its own.
 *
 * @example
 * ```ts
 * const store = withFallback(withTimeout(redisStore, { timeoutMs: 50 }), { fleetSize: heartbeat.fleetSize })
 * ```
 */
export function withFallback(store: Store, options: FallbackOptions = {}): Store {
  requireObject(options, 'withFallback options')
  rejectUnknownOptions(options, FALLBACK_OPTIONS, 'withFallback.')
  return fallbackStore(store, resolveFallbackOptions(options, 'withFallback.'))
}

/** Validated fallback options (the option path starts with `path`). */
export interface ResolvedFallbackOptions {
  readonly local: MemoryStore
  readonly ownsLocal: boolean
  readonly fleetSize: () => number
  readonly onFallback: ((error: unknown) => void) | undefined
}

/** Validates the fallback's options inside a larger options object (e.g. `resilient`'s). */
export function resolveFallbackOptions(options: FallbackOptions, path: string): ResolvedFallbackOptions {
  if (options.local !== undefined && !(options.local instanceof MemoryStore)) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', `${path}local`, options.local, 'must be a MemoryStore')
  }
  return {
    local: options.local ?? new MemoryStore(),
    ownsLocal: options.local === undefined,
    fleetSize: optionalFunction<() => number>(options.fleetSize, `${path}fleetSize`) ?? (() => 1),
    onFallback: optionalFunction(options.onFallback, `${path}onFallback`),
  }
}

/** The fallback store for validated options. */
export function fallbackStore(store: Store, settings: ResolvedFallbackOptions): Store {
  const shareOf = (policy: Policy, error: unknown): Policy => {
    report(settings.onFallback, error)
    publishEvent('storeError', () => ({ store: store.name, error, handledBy: 'local' }))
    return cachedSharePolicy(policy, readFleetSize(settings.fleetSize))
  }
  const decideLocally = (key: string, policy: Policy, cost: number, error: unknown): StepResult => {
    const share = shareOf(policy, error)
    const step = settings.local.consumeSync(key, share, cost)
    const blocked = step.blockedUs === undefined ? undefined : { blockedUs: step.blockedUs }
    return { allowed: step.allowed, debtUs: step.debtUs, fallbackPolicy: share, ...blocked }
  }
  /** All-or-nothing on the local shares, as the store would have decided on the whole policies. */
  const decideAllLocally = (steps: readonly ConsumeStep[], error: unknown): StepResult[] => {
    report(settings.onFallback, error)
    const fleetSize = readFleetSize(settings.fleetSize)
    const shares = steps.map((step) => cachedSharePolicy(step.policy, fleetSize))
    const local = settings.local.consumeAllSync(steps.map((step, i) => ({ ...step, policy: shares[i] as Policy })))
    return local.map((step, i) => ({ allowed: step.allowed, debtUs: step.debtUs, fallbackPolicy: shares[i] as Policy }))
  }
  return {
    name: store.name,
    keySpace: store.keySpace ?? store,
    consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
      let pending: Promise<StepResult>
      try {
        pending = Promise.resolve(store.consume(key, policy, cost))
      } catch (error) {
        pending = Promise.reject(error)
      }
      return pending.catch((error: unknown) => decideLocally(key, policy, cost, error))
    },
    ...(store.consumeAll && {
      consumeAll: (steps: readonly ConsumeStep[]) =>
        settle(
          () => consumeAllOf(store, steps),
          (error) => decideAllLocally(steps, error),
        ),
    }),
    ...(store.peek && {
      peek: (key: string, policy: Policy) =>
        settle(
          () => callOptional(store, 'peek', key, policy),
          (error) => {
            const share = shareOf(policy, error)
            return { ...settings.local.peekSync(key, share), fallbackPolicy: share }
          },
        ),
    }),
    ...(store.reset && {
      reset(key: string, policy: Policy): Promise<void> {
        settings.local.resetSync(key, policy)
        return settle(
          () => callOptional(store, 'reset', key, policy),
          (error) => Promise.reject(error),
        )
      },
    }),
    ...(store.refund && {
      refund: (key: string, policy: Policy, tokens: number) =>
        settle(
          () => callOptional(store, 'refund', key, policy, tokens),
          (error) => {
            const share = shareOf(policy, error)
            return { ...settings.local.refundSync(key, share, tokens), fallbackPolicy: share }
          },
        ),
    }),
    async close() {
      await store.close?.()
      if (settings.ownsLocal) await settings.local.close()
    },
  }
}

/** Calls the store, or `onFailure` when it throws or rejects. */
function settle<T>(call: () => Promise<T>, onFailure: (error: unknown) => T | Promise<T>): Promise<T> {
  let pending: Promise<T>
  try {
    pending = Promise.resolve(call())
  } catch (error) {
    pending = Promise.reject(error)
  }
  return pending.catch(onFailure)
}

function readFleetSize(fleetSize: () => number): number {
  try {
    return fleetSize()
  } catch {
    return 1
  }
}

function report(hook: ((error: unknown) => void) | undefined, error: unknown): void {
  try {
    hook?.(error)
  } catch {
    // a failing hook never changes a decision
  }
}
