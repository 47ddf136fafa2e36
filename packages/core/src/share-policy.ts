// One process's share of a policy when N processes decide alone: capacity ⌈B/N⌉ (≥ 1), rate ≤ R/N.
import { MAX_BURST_US } from './policy.js'
import type { Policy } from './types.js'

/** The largest fleet a share is computed for; a larger N is treated as this one. */
export const MAX_FLEET_SIZE = 1_000_000

/**
 * The policy one of `fleetSize` processes applies alone: capacity `max(1, ⌈B/N⌉)` and an emission
 * interval of `N × T` µs, a whole number, so the share's rate is at most `R/N` (exactly `R/N` when `T`
 * is exact) and never trips `ERR_SPILLWAY_INEXACT_RATE`. N = 1 returns `policy` itself. Same name, so
 * the share decides on the same keys.
 *
 * @example
 * ```ts
 * sharePolicy(createPolicy({ capacity: 100, refillRate: 10 }), 4) // capacity 25, 2.5 tokens/s
 * ```
 */
export function sharePolicy(policy: Policy, fleetSize: number): Policy {
  const n = validFleetSize(fleetSize)
  if (n === 1) return policy
  const capacity = Math.max(1, Math.ceil(policy.capacity / n))
  // Keep the bucket's fill time within the same bound createPolicy enforces (exact µs arithmetic).
  const emissionIntervalUs = Math.min(policy.emissionIntervalUs * n, Math.floor(MAX_BURST_US / capacity))
  return Object.freeze({
    name: policy.name,
    capacity,
    refillRatePerSecond: 1_000_000 / emissionIntervalUs,
    emissionIntervalUs,
    burstUs: capacity * emissionIntervalUs,
    // The wait is time, not tokens: the share waits as long as the whole policy would.
    ...(policy.maxWaitUs !== undefined && { maxWaitUs: policy.maxWaitUs }),
    ...(policy.block && { block: policy.block }),
  })
}

/** A fleet size to trust: a whole number from 1 to {@link MAX_FLEET_SIZE}; anything else counts as 1. */
export function validFleetSize(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) return 1
  return Math.min(value, MAX_FLEET_SIZE)
}

const sharesByPolicy = new WeakMap<Policy, Map<number, Policy>>()

/**
 * {@link sharePolicy}, computed once per policy and fleet size (a fallback decides many times per second).
 *
 * @example
 * ```ts
 * const share = cachedSharePolicy(policy, heartbeat.fleetSize())
 * ```
 */
export function cachedSharePolicy(policy: Policy, fleetSize: number): Policy {
  const n = validFleetSize(fleetSize)
  let byFleetSize = sharesByPolicy.get(policy)
  if (byFleetSize === undefined) {
    byFleetSize = new Map()
    sharesByPolicy.set(policy, byFleetSize)
  }
  let share = byFleetSize.get(n)
  if (share === undefined) {
    share = sharePolicy(policy, n)
    byFleetSize.set(n, share)
  }
  return share
}
