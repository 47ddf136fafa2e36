// The limiter: validated options, one policy, one store; decide(key, cost) → Decision.
import { SpillwayConfigError } from './errors.js'
import { boundedKey } from './keys.js'
import { createPolicy, type RefillRate } from './policy.js'
import type { Decision, Policy, Store } from './types.js'
import { rejectUnknownOptions, requireObject, requirePositiveInteger } from './validate.js'

/** Options of {@link createLimiter}. */
export interface LimiterOptions {
  /** B: the most tokens a bucket holds, i.e. the largest burst. */
  capacity: number
  /** R: tokens per second, or `{ tokens, per }` such as `{ tokens: 100, per: '1m' }`. */
  refillRate: RefillRate
  /** Where buckets live: `new MemoryStore()`, a `RedisStore`, or your own {@link Store}. */
  store: Store
  /** Tokens a call takes when it names none. Default 1; must not exceed `capacity`. */
  cost?: number
  /** Names the policy in headers and keeps its keys apart. Default `'default'`. */
  name?: string
}

/** A token-bucket limiter bound to one policy and one store. */
export interface Limiter {
  readonly policy: Policy
  readonly store: Store
  /** The cost used when `consume` is called without one. */
  readonly defaultCost: number
  /**
   * Takes `cost` tokens from the bucket of `key` if they are there. A cost above the capacity is
   * never admitted (the decision has `retryAfterMs: Infinity`); a cost that is not a whole number ≥ 1
   * throws a `RangeError`.
   */
  consume(key: string, cost?: number): Promise<Decision>
}

const LIMITER_OPTIONS = ['capacity', 'refillRate', 'store', 'cost', 'name'] as const

/**
 * Builds a limiter, validating every option once.
 *
 * @example
 * ```ts
 * const limiter = createLimiter({ capacity: 10, refillRate: { tokens: 10, per: '1m' }, store: new MemoryStore() })
 * const decision = await limiter.consume('user:42')
 * if (!decision.allowed) console.log(`retry in ${decision.retryAfterMs} ms`)
 * ```
 */
export function createLimiter(options: LimiterOptions): Limiter {
  requireObject(options, 'options')
  rejectUnknownOptions(options, LIMITER_OPTIONS)
  const policy = createPolicy(options)
  const store = validateStore(options.store)
  const defaultCost = options.cost === undefined ? 1 : requirePositiveInteger(options.cost, 'cost')
  if (defaultCost > policy.capacity) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_COST_EXCEEDS_CAPACITY',
      'cost',
      defaultCost,
      `must not exceed capacity ${policy.capacity}, or no request could ever be admitted`,
    )
  }
  claimPolicyName(store, policy)
  return {
    policy,
    store,
    defaultCost,
    consume(key: string, cost: number = defaultCost): Promise<Decision> {
      if (!Number.isSafeInteger(cost) || cost < 1) {
        return Promise.reject(new RangeError(`[spillway] cost must be a whole number ≥ 1, got ${String(cost)}`))
      }
      return store.consume(boundedKey(key), policy, cost)
    },
  }
}

/** Policies seen per store, so two different policies cannot silently share one key space. */
const policiesByStore = new WeakMap<Store, Map<string, Policy>>()

/**
 * Two limiters on one store with one name share buckets; that is only right when they are the same
 * policy. A second, different policy under a used name (often two middlewares both left at
 * `'default'`) is a configuration error.
 */
function claimPolicyName(store: Store, policy: Policy): void {
  const byName = policiesByStore.get(store) ?? new Map<string, Policy>()
  policiesByStore.set(store, byName)
  const existing = byName.get(policy.name)
  if (existing === undefined) {
    byName.set(policy.name, policy)
    return
  }
  if (existing.capacity !== policy.capacity || existing.emissionIntervalUs !== policy.emissionIntervalUs) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_DUPLICATE_POLICY',
      'name',
      policy.name,
      `is already used on this ${store.name} store by a policy with capacity ${existing.capacity} and refillRate ` +
        `${existing.refillRatePerSecond}/s; give each policy its own name`,
    )
  }
}

/** Checks a store's shape at construction, so a wrong object fails now and not on the first request. */
export function validateStore(store: unknown, option = 'store'): Store {
  if (store === undefined || store === null) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_MISSING_OPTION',
      option,
      store,
      'is required: pass new MemoryStore() or a RedisStore',
    )
  }
  if (typeof store !== 'object' || typeof (store as Store).consume !== 'function') {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_STORE',
      option,
      store,
      'must have a consume(key, policy, cost) method',
    )
  }
  return store as Store
}
