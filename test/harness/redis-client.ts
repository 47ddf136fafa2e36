// The ioredis clients every test connects with (standalone and Cluster): configured as RedisStore asks.
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'

/** No offline queue, no resends, bounded retries: a decision happens now or fails now. */
export const LIMITER_CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
} as const satisfies RedisOptions

/**
 * The same for a Cluster: no offline queue on the Cluster; each node connection gets the options above
 * (ioredis keeps its own offline queue per node, which only holds commands while a node connects).
 */
export const LIMITER_CLUSTER_OPTIONS = {
  enableOfflineQueue: false,
  redisOptions: LIMITER_CLIENT_OPTIONS,
} as const satisfies ClusterOptions

/**
 * Connects to a test server on 127.0.0.1 and resolves once the client is ready.
 *
 * @example
 * ```ts
 * const client = await connectLimiterClient(server.port, { commandTimeout: 200 })
 * ```
 */
export async function connectLimiterClient(port: number, extra: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(port, '127.0.0.1', { ...LIMITER_CLIENT_OPTIONS, ...extra, lazyConnect: true })
  await client.connect()
  return client
}

/**
 * Connects a Cluster client to test nodes on 127.0.0.1 and resolves once it is ready (slots known).
 *
 * @example
 * ```ts
 * const client = await connectLimiterCluster(cluster.startupNodes)
 * ```
 */
export async function connectLimiterCluster(
  startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>,
  extra: ClusterOptions = {},
): Promise<Cluster> {
  const client = new Cluster([...startupNodes], { ...LIMITER_CLUSTER_OPTIONS, ...extra, lazyConnect: true })
  await client.connect()
  return client
}
