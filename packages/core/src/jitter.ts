// Bounded random delay added to Retry-After and the reset hints, so clients told one instant come back spread out.
import { SpillwayConfigError } from './errors.js'
import { optionNames, rejectUnknownOptions } from './validate.js'

/**
 * The `retryJitter` option: the most milliseconds of random delay added to `Retry-After` and the reset
 * hints of a response (`maxMs`), or that number alone. `0` turns it off (the default).
 */
export type RetryJitter = number | { readonly maxMs: number }

/** One hour: a wider spread than this is a misconfiguration, not a herd remedy. */
export const MAX_RETRY_JITTER_MS = 3_600_000

const JITTER_OPTIONS = optionNames<{ maxMs: number }>({ maxMs: true })

/**
 * Validates `retryJitter` once and returns its bound in whole milliseconds (0 when absent).
 *
 * @example
 * ```ts
 * resolveRetryJitter({ maxMs: 2000 }) // 2000
 * resolveRetryJitter(undefined) // 0
 * ```
 */
export function resolveRetryJitter(value: unknown): number {
  if (value === undefined) return 0
  if (typeof value === 'number') return requireJitterMs(value, 'retryJitter')
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'retryJitter',
      value,
      'must be a number of milliseconds or { maxMs }',
    )
  }
  rejectUnknownOptions(value, JITTER_OPTIONS, 'retryJitter.')
  return requireJitterMs((value as { maxMs?: unknown }).maxMs, 'retryJitter.maxMs')
}

/**
 * A delay drawn uniformly from the whole milliseconds `0 … maxMs`: 0 when `maxMs` is 0. Added to a wait,
 * never subtracted, so a hint is never earlier than the true time.
 *
 * @example
 * ```ts
 * jitterDelayMs(1000) // e.g. 417
 * ```
 */
export function jitterDelayMs(maxMs: number, random: () => number = Math.random): number {
  if (maxMs <= 0) return 0
  return Math.min(maxMs, Math.floor(random() * (maxMs + 1)))
}

function requireJitterMs(value: unknown, option: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_RETRY_JITTER_MS) return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    option,
    value,
    `must be a whole number of milliseconds from 0 to ${MAX_RETRY_JITTER_MS}`,
  )
}
