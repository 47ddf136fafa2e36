// Burst sizing: the capacity that lets a client burst for a given number of seconds at the refill rate.
import { SpillwayConfigError } from './errors.js'
import { createPolicy, type RefillRate } from './policy.js'
import { optionNames, rejectUnknownOptions, requireObject } from './validate.js'

/** Options of {@link burstCapacity}. */
export interface BurstCapacityOptions {
  /** R: the sustained rate the policy will refill at, as `refillRate` takes it (tokens/s or `{ tokens, per }`). */
  refillRate: RefillRate
  /**
   * How many seconds of traffic at R the downstream can take at once: a client that was idle may send
   * `refillRate × burstSeconds` requests back to back. A positive number.
   */
  burstSeconds: number
}

const BURST_OPTIONS = optionNames<BurstCapacityOptions>({ refillRate: true, burstSeconds: true })

/**
 * The capacity B = ⌊R × burstSeconds⌋ (at least 1): the largest burst a bucket refilled at R admits when a
 * downstream can absorb `burstSeconds` of traffic at that rate at once. Rounded down, so the burst never
 * exceeds what was asked for. See docs/failure-modes.md (bursts too large for the downstream).
 *
 * @example
 * ```ts
 * const refillRate = { tokens: 600, per: '1m' } // 10/s sustained
 * app.use(rateLimit({ refillRate, capacity: burstCapacity({ refillRate, burstSeconds: 3 }) })) // B = 30
 * ```
 */
export function burstCapacity(options: BurstCapacityOptions): number {
  requireObject(options, 'options')
  rejectUnknownOptions(options, BURST_OPTIONS)
  const { burstSeconds } = options
  if (typeof burstSeconds !== 'number' || !Number.isFinite(burstSeconds) || burstSeconds <= 0) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'burstSeconds',
      burstSeconds,
      'must be a positive number',
    )
  }
  const perSecond = createPolicy({ capacity: 1, refillRate: options.refillRate }).refillRatePerSecond
  // Rounded to a millionth first, so float noise (0.1 × 30 = 3.0000000000000004) never moves the floor.
  const tokens = Math.floor(Math.round(perSecond * burstSeconds * 1e6) / 1e6)
  if (tokens > Number.MAX_SAFE_INTEGER) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'burstSeconds',
      burstSeconds,
      'gives a capacity too large',
    )
  }
  return Math.max(1, tokens)
}
