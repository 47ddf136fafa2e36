// A RedisStore wrapped as the adapters wrap a remote store by default, with a budget a loaded machine never hits.
import { resilient, type Store } from '@spillway/core'
import type { RedisStore } from '@spillway/redis'

/** Long enough that only a Redis that is gone, never a slow answer, sends a decision to the local fallback. */
export const PATIENT_TIMEOUT_MS = 2000

/**
 * `store` behind `resilient()` as the adapters put a remote store by default (N and partitions from the store),
 * but with {@link PATIENT_TIMEOUT_MS} instead of 50 ms: a test that counts what Redis decided must not see
 * an answer a loaded machine made slow decided by the local fallback instead (test/faults tests that path).
 *
 * @example
 * ```ts
 * const store = patientStore(new RedisStore({ client, prefix }))
 * ```
 */
export function patientStore(store: RedisStore): Store {
  return resilient(store, {
    timeoutMs: PATIENT_TIMEOUT_MS,
    fleetSize: () => store.fleetSize(),
    partitionOf: (key) => store.partitionOf(key),
  })
}
