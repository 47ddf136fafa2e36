// redisNodeOf: which Redis Cluster master serves a store key, so a circuit breaker can keep one circuit per master.
import type { Cluster, Redis } from 'ioredis'

/** Anything with the ioredis client and the store's key mapping (a `RedisStore`). */
export interface RedisKeyed {
  readonly client: Redis | Cluster
  redisKey(key: string): string
}

const SLOTS = 16_384

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
export function redisNodeOf(store: RedisKeyed): (key: string) => string {
  const client = store.client as Partial<Cluster>
  if (!Array.isArray(client.slots)) return () => ''
  return (key) => {
    const slot = keySlot(store.redisKey(key))
    // Read the map on each call: the client replaces it when the cluster's layout changes.
    return (client.slots as string[][])[slot]?.[0] ?? `slot:${slot}`
  }
}

/**
 * The Redis Cluster slot of `key`: CRC16 (XMODEM) of its hash tag (the first non-empty `{…}`), or of the
 * whole key, modulo 16 384.
 *
 * @example
 * ```ts
 * keySlot('spillway:default:{203.0.113.7}') === keySlot('{203.0.113.7}')
 * ```
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key)
  const open = bytes.indexOf(0x7b)
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOTS
  }
  return crc16(bytes) % SLOTS
}

function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}
