// The 'local' store failure mode: a remote store wrapped once in resilient(), shared by every policy on it.
import { resilient } from './resilient-store.js'
import type { Store } from './types.js'

const wrapped = new WeakMap<Store, Store>()

/**
 * `store` behind a time budget, a circuit breaker and an in-process fallback on this process's share
 * of each limit (N from `store.fleetSize()`; one circuit per `store.partitionOf(key)`). One wrapper per
 * store object, so every policy on it shares one breaker and one set of local buckets.
 *
 * @example
 * ```ts
 * const store = withLocalFallback(new RedisStore({ client }))
 * ```
 */
export function withLocalFallback(store: Store): Store {
  const existing = wrapped.get(store)
  if (existing) return existing
  const fleetSize = store.fleetSize ? () => store.fleetSize?.() ?? 1 : undefined
  const partitionOf = store.partitionOf ? (key: string) => store.partitionOf?.(key) ?? '' : undefined
  const safe = resilient(store, { ...(fleetSize && { fleetSize }), ...(partitionOf && { partitionOf }) })
  wrapped.set(store, safe)
  return safe
}
