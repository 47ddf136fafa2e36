// redisNodeOf: which Redis Cluster master serves a store key, so a circuit breaker can keep one circuit per master.
import type { Cluster } from 'ioredis'
import { keySlot } from './key-slot.js'
import type { RedisStore } from './redis-store.js'

/**
 * A `partitionOf` for `withCircuitBreaker` / `resilient`: the `host:port` of the master that serves a
 * key's slot now (from the Cluster client's slot map), so one dead master opens only its own circuit
 * and identities on the other masters keep deciding on Redis. A standalone client is one partition.
 *
 * @example
 * ```ts
 * const redisStore = new RedisStore({ client: cluster })
 * const store = resilient(redisStore, { partitionOf: redisNodeOf(redisStore) })
 * ```
 */
export function redisNodeOf(store: Pick<RedisStore, 'client' | 'redisKey' | 'runner'>): (key: string) => string {
  const client = store.client as Partial<Cluster>
  // A standalone client is one partition. An ioredis/iovalkey Cluster has a slot map; other cluster
  // clients get one circuit per slot, which still keeps a dead master's slots apart from the others.
  if (!Array.isArray(client.slots)) return store.runner.isCluster ? slotOf(store) : () => ''
  return (key) => {
    const slot = keySlot(store.redisKey(key))
    // Read the map on each call: the client replaces it when the cluster's layout changes.
    return (client.slots as string[][])[slot]?.[0] ?? `slot:${slot}`
  }
}

function slotOf(store: Pick<RedisStore, 'redisKey'>): (key: string) => string {
  return (key) => `slot:${keySlot(store.redisKey(key))}`
}
