// withTimeout: a store whose every decision settles within a time budget of its own, whatever the client does.
import { settleWithin } from './budget.js'
import { SpillwayConfigError } from './errors.js'
import type { ConsumeStep, Policy, Store } from './types.js'
import { rejectUnknownOptions, requireObject, requirePositiveNumber } from './validate.js'

/** Options of {@link withTimeout}. */
export interface TimeoutOptions {
  /** The most a decision may wait for the wrapped store, in ms (e.g. 50). */
  timeoutMs: number
}

/** The longest timer Node.js keeps as asked (2³¹ − 1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647

/** A wrapped store that did not answer within its budget. The late answer, if any, is ignored. */
export class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError'
  readonly code = 'ERR_SPILLWAY_STORE_TIMEOUT'

  constructor(storeName: string, timeoutMs: number) {
    super(`[spillway] the ${storeName} store did not answer within ${timeoutMs} ms`)
  }
}

/**
 * Wraps `store` so that every `consume` settles within `timeoutMs`: past it, the call rejects with a
 * {@link StoreTimeoutError}; so do `consumeAll`, `peek`, `reset` and `refund` when the store has them. Nothing is retried or resent: a command the store already sent may still
 * be applied once (a Redis that wakes up runs what it received), its late answer is dropped. The
 * timer never keeps the process alive. `keySpace` and `close()` are the wrapped store's.
 *
 * @example
 * ```ts
 * const store = withTimeout(new RedisStore({ client }), { timeoutMs: 50 })
 * ```
 */
export function withTimeout(store: Store, options: TimeoutOptions): Store {
  const timeoutMs = resolveTimeoutMs(options, 'withTimeout.')
  return {
    name: store.name,
    keySpace: store.keySpace ?? store,
    consume: (key: string, policy: Policy, cost: number) =>
      withinTime(store, timeoutMs, () => store.consume(key, policy, cost)),
    ...(store.consumeAll && {
      consumeAll: (steps: readonly ConsumeStep[]) => withinTime(store, timeoutMs, () => consumeAllOf(store, steps)),
    }),
    ...(store.peek && {
      peek: (key: string, policy: Policy) =>
        withinTime(store, timeoutMs, () => callOptional(store, 'peek', key, policy)),
    }),
    ...(store.reset && {
      reset: (key: string, policy: Policy) =>
        withinTime(store, timeoutMs, () => callOptional(store, 'reset', key, policy)),
    }),
    ...(store.refund && {
      refund: (key: string, policy: Policy, tokens: number) =>
        withinTime(store, timeoutMs, () => callOptional(store, 'refund', key, policy, tokens)),
    }),
    close: () => store.close?.() ?? Promise.resolve(),
  }
}

/** Calls one of a store's optional methods (peek, reset, refund) with the store as `this`. */
export function callOptional<Name extends 'peek' | 'reset' | 'refund'>(
  store: Store,
  name: Name,
  ...args: Parameters<NonNullable<Store[Name]>>
): ReturnType<NonNullable<Store[Name]>> {
  const method = store[name] as (...values: unknown[]) => ReturnType<NonNullable<Store[Name]>>
  return method.apply(store, args)
}

/** Calls a store's optional `consumeAll` with the store as `this`. */
export function consumeAllOf(store: Store, steps: readonly ConsumeStep[]) {
  return (store.consumeAll as NonNullable<Store['consumeAll']>).call(store, steps)
}

/** Validates `{ timeoutMs }` (the option path starts with `path`). */
export function resolveTimeoutMs(options: TimeoutOptions, path: string): number {
  requireObject(options, `${path.slice(0, -1)} options`)
  rejectUnknownOptions(options, ['timeoutMs'], path)
  return checkTimeoutMs(options.timeoutMs, `${path}timeoutMs`)
}

/** Requires a budget a timer can keep: a positive number of ms up to 2³¹ − 1. */
export function checkTimeoutMs(value: unknown, option: string): number {
  const timeoutMs = requirePositiveNumber(value, option)
  if (timeoutMs > MAX_TIMER_MS) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, `must be at most ${MAX_TIMER_MS} ms`)
  }
  return timeoutMs
}

/** Runs `call`, settling like it or rejecting with a {@link StoreTimeoutError} after `timeoutMs`. */
function withinTime<T>(store: Store, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  let pending: Promise<T>
  try {
    pending = call()
  } catch (error) {
    pending = Promise.reject(error)
  }
  return settleWithin(pending, timeoutMs, () => new StoreTimeoutError(store.name, timeoutMs))
}
