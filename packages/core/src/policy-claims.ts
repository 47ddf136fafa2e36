// Which policies use which buckets: catches two policies silently sharing buckets, and one request counted twice.
import { SpillwayConfigError } from './errors.js'
import type { Policy, Store } from './types.js'

/** One policy name in one key space (the buckets a store shares: see {@link Store.keySpace}). */
export interface PolicyClaim {
  /** True once a second limiter uses the same policy on the same buckets. */
  shared: boolean
  readonly policy: Policy
}

const claimsByKeySpace = new WeakMap<object, Map<string, PolicyClaim>>()

/**
 * Registers `policy` on `store`'s key space. The same policy twice is fine (one `PolicyClaim`, now
 * `shared`); a different policy under a used name (often two middlewares both left at `'default'`)
 * would silently share buckets, and is a configuration error.
 */
export function claimPolicy(store: Store, policy: Policy): PolicyClaim {
  const keySpace = store.keySpace ?? store
  const byName = claimsByKeySpace.get(keySpace) ?? new Map<string, PolicyClaim>()
  claimsByKeySpace.set(keySpace, byName)
  const existing = byName.get(policy.name)
  if (existing === undefined) {
    const claim: PolicyClaim = { shared: false, policy }
    byName.set(policy.name, claim)
    return claim
  }
  const { capacity, emissionIntervalUs, refillRatePerSecond } = existing.policy
  const sameBlock = blockOf(existing.policy) === blockOf(policy)
  // maxWait sets how far past empty the buckets may go: two waits on one bucket would undo each other's credit.
  const sameWait = existing.policy.maxWaitUs === policy.maxWaitUs
  if (capacity !== policy.capacity || emissionIntervalUs !== policy.emissionIntervalUs || !sameBlock || !sameWait) {
    const other = `${sameBlock ? '' : ' and another blockDuration'}${sameWait ? '' : ' and another maxWait'}`
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_DUPLICATE_POLICY',
      'name',
      policy.name,
      `is already used on these ${store.name} buckets by a policy with capacity ${capacity} and refillRate ` +
        `${refillRatePerSecond}/s${other}; give each policy its own name`,
    )
  }
  existing.shared = true
  return existing
}

function blockOf(policy: Policy): string {
  const { block } = policy
  return block === undefined ? '' : `${block.durationUs}/${block.maxDurationUs}/${block.factor}`
}

const countedByRequest = new WeakMap<object, Map<PolicyClaim, Set<string>>>()

/**
 * Records that `request` was counted under `claim` for `key`; true when it already was (an app-wide
 * middleware and an identical route middleware on the same buckets would otherwise take two tokens).
 */
export function countedBefore(claim: PolicyClaim, request: unknown, key: string): boolean {
  if (typeof request !== 'object' || request === null) return false
  const byClaim = countedByRequest.get(request) ?? new Map<PolicyClaim, Set<string>>()
  countedByRequest.set(request, byClaim)
  const keys = byClaim.get(claim) ?? new Set<string>()
  byClaim.set(claim, keys)
  if (keys.has(key)) return true
  keys.add(key)
  return false
}
