// Decides through a bare store as the limiter does: namespaced key in, public decision out.
import type { Decision, Policy, Store } from '@spillway/core'
import { describeDecision, storeKey } from '@spillway/core/store'

/**
 * One decision on `store` for `key` under `policy`, without a limiter: the key namespaced by
 * `storeKey`, the raw step turned into a `Decision`.
 *
 * @example
 * ```ts
 * const decision = await decide(store, '203.0.113.7', policy, 1)
 * ```
 */
export async function decide(store: Store, key: string, policy: Policy, cost: number): Promise<Decision> {
  return describeDecision(policy, await store.consume(storeKey(policy.name, key), policy, cost), cost)
}

/** Several decisions sent together (not atomically together), answered in order. */
export function decideAll(
  store: Store,
  requests: readonly { key: string; policy: Policy; cost: number }[],
): Promise<Decision[]> {
  return Promise.all(requests.map(({ key, policy, cost }) => decide(store, key, policy, cost)))
}
