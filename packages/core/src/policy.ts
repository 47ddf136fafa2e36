// Builds a validated Policy from the user's capacity, refill rate and name.
import { type BlockDuration, parseBlockDuration } from './block.js'
import { parseDurationMs } from './duration.js'
import { SpillwayConfigError } from './errors.js'
import type { Policy } from './types.js'
import {
  optionNames,
  rejectUnknownOptions,
  requireObject,
  requirePositiveInteger,
  requirePositiveNumber,
} from './validate.js'

/** Tokens per second, or a readable form: `{ tokens: 100, per: '1m' }` (per: ms number or '30s', '1m', '1h'…). */
export type RefillRate = number | ReadableRate

/** `{ tokens: 100, per: '1m' }`: `tokens` refilled evenly over `per` (ms, or '30s', '1m', '1h', '1d'). */
export interface ReadableRate {
  readonly tokens: number
  readonly per: string | number
}

const READABLE_RATE_OPTIONS = optionNames<ReadableRate>({ tokens: true, per: true })

/** What a policy is made of. */
export interface PolicyOptions {
  /** B: the most tokens a bucket holds, i.e. the largest burst. A whole number ≥ 1. */
  capacity: number
  /** R: how fast tokens come back, continuously. */
  refillRate: RefillRate
  /** Names the policy in headers and keeps its keys apart from other policies'. Default `'default'`. */
  name?: string
  /**
   * Wait instead of reject: a request whose tokens will be there within this many ms (or `'500ms'`, `'2s'`)
   * is admitted at once, its tokens reserved on credit, and waits until they are there. Default 0 (off).
   * Validated but not applied with `blockDuration`: a blocking policy never admits on credit.
   */
  maxWait?: number | string
  /** A rejected key stays rejected this long (see `parseBlockDuration`). Default: no block. */
  blockDuration?: BlockDuration
}

/** The fastest refill the microsecond clock can express: one token per µs. */
export const MAX_REFILL_RATE_PER_SECOND = 1_000_000
/**
 * A bucket must fill in less than this (≈ 31.7 years): µs arithmetic stays exact, and `q` (≤ capacity)
 * stays within the 15 digits of a structured-field Integer.
 */
export const MAX_BURST_US = 1e15

const NAME_PATTERN = /^[A-Za-z0-9][\w.:@+/-]{0,63}$/

/**
 * Validates the options and derives the integer-µs parameters every store uses.
 *
 * @example
 * ```ts
 * const login = createPolicy({ name: 'login', capacity: 5, refillRate: { tokens: 5, per: '1m' } })
 * ```
 */
export function createPolicy(options: PolicyOptions): Policy {
  const capacity = requirePositiveInteger(options.capacity, 'capacity')
  const refillRatePerSecond = parseRefillRate(options.refillRate)
  const name = parseName(options.name)
  const emissionIntervalUs = intervalUsFor(refillRatePerSecond, options.refillRate)
  const burstUs = capacity * emissionIntervalUs
  if (burstUs >= MAX_BURST_US) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'capacity',
      capacity,
      `with refillRate ${refillRatePerSecond}/s must refill in less than ${MAX_BURST_US / 1e6} s`,
    )
  }
  const maxWaitUs = parseMaxWaitUs(options.maxWait)
  const block = parseBlockDuration(options.blockDuration)
  return Object.freeze({
    name,
    capacity,
    refillRatePerSecond,
    emissionIntervalUs,
    burstUs,
    // A blocking policy rejects the key for a while instead: it never admits on credit (docs/options.md#maxwait).
    ...(maxWaitUs > 0 && block === undefined && { maxWaitUs }),
    ...(block && { block }),
  })
}

/**
 * How far below the configured rate the effective rate may be (never above): the microsecond clock
 * can only refill one token per whole number of µs, so R = 3/s becomes 1 token per 333 334 µs
 * (2.999 994/s). Past 0.1 % (rates above 1 000/s whose interval is not a whole number of µs) the
 * rate is rejected rather than silently slowed (999 999/s would otherwise admit 500 000/s).
 */
export const MAX_RATE_ROUNDING = 0.001

/** ⌈1e6 / R⌉, except that a quotient within float noise of a whole number is that number (1e6 / (1e6 / 7) → 7). */
function intervalUsFor(perSecond: number, given: unknown): number {
  const exact = 1_000_000 / perSecond
  const nearest = Math.round(exact)
  const intervalUs = Math.max(1, Math.abs(exact - nearest) <= exact * 1e-12 ? nearest : Math.ceil(exact))
  if (1 - exact / intervalUs > MAX_RATE_ROUNDING) throw inexactRate(perSecond, intervalUs, given)
  return intervalUs
}

function inexactRate(perSecond: number, intervalUs: number, given: unknown): SpillwayConfigError {
  const rate = (us: number) => `${Number((1e6 / us).toPrecision(9))}/s`
  return new SpillwayConfigError(
    'ERR_SPILLWAY_INEXACT_RATE',
    'refillRate',
    given,
    `(${perSecond}/s) cannot be kept exactly by a microsecond clock and would refill at ${rate(intervalUs)}: ` +
      `use ${rate(intervalUs - 1)} or ${rate(intervalUs)}, or count in larger units (a higher cost per request)`,
  )
}

function parseRefillRate(value: unknown): number {
  const perSecond = typeof value === 'number' ? requirePositiveNumber(value, 'refillRate') : parseReadableRate(value)
  if (perSecond > MAX_REFILL_RATE_PER_SECOND) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'refillRate',
      value,
      `must be at most ${MAX_REFILL_RATE_PER_SECOND} tokens per second (count larger units instead)`,
    )
  }
  return perSecond
}

function parseReadableRate(value: unknown): number {
  if (value === undefined) {
    throw new SpillwayConfigError('ERR_SPILLWAY_MISSING_OPTION', 'refillRate', value, 'is required')
  }
  requireObject(value, 'refillRate')
  rejectUnknownOptions(value, READABLE_RATE_OPTIONS, 'refillRate.')
  const { tokens, per } = value as { tokens?: unknown; per?: unknown }
  const count = requirePositiveNumber(tokens, 'refillRate.tokens')
  const perMs = parseDurationMs(per)
  if (perMs === undefined) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'refillRate.per',
      per,
      "must be a positive duration: milliseconds or a string such as '30s', '1m', '1h'",
    )
  }
  return requirePositiveNumber((count * 1000) / perMs, 'refillRate')
}

function parseName(value: unknown): string {
  if (value === undefined) return 'default'
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'name',
      value,
      'must be 1–64 characters: letters, digits and . _ : @ + / - (starting with a letter or digit)',
    )
  }
  return value
}

/** The longest `maxWait`: what one `setTimeout` can wait (≈ 24.8 days). */
export const MAX_WAIT_MS = 2_147_483_647

/** `maxWait` in whole µs: 0 when absent; a whole number of ms ≥ 0 or a duration string, at most {@link MAX_WAIT_MS}. */
export function parseMaxWaitUs(value: unknown): number {
  if (value === undefined || value === 0) return 0
  const ms = parseDurationMs(value)
  if (ms !== undefined && ms <= MAX_WAIT_MS) return Math.round(ms * 1000)
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'maxWait',
    value,
    `must be a number of milliseconds from 0 to ${MAX_WAIT_MS}, or a duration such as '500ms' or '2s'`,
  )
}
