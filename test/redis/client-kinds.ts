// Connects each supported Redis client kind (ioredis, iovalkey, node-redis), single node or cluster, safely configured.
import { Cluster as Cluster5, Redis as Redis5 } from 'ioredis-5'
import { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey'
import { createClient, createCluster } from 'redis'
import { connectLimiterClient, connectLimiterCluster, LIMITER_CLIENT_OPTIONS } from '../harness/redis-client.js'

/** Every client library RedisStore accepts. */
export const CLIENT_KINDS = ['ioredis', 'ioredis 5', 'iovalkey', 'node-redis'] as const
export type ClientKind = (typeof CLIENT_KINDS)[number]

/** A connected client and how to drop it. */
export interface ConnectedClient {
  readonly kind: ClientKind
  readonly client: object
  close(): Promise<void>
}

type Nodes = ReadonlyArray<{ readonly host: string; readonly port: number }>

/**
 * Connects a client of `kind` to a single redis-server on 127.0.0.1, with no offline queue and no resends.
 *
 * @example
 * ```ts
 * const { client, close } = await connectClient('node-redis', server.port)
 * ```
 */
export async function connectClient(kind: ClientKind, port: number): Promise<ConnectedClient> {
  if (kind === 'ioredis') {
    const client = await connectLimiterClient(port)
    return { kind, client, close: async () => client.disconnect() }
  }
  if (kind === 'ioredis 5') {
    // The oldest major the package supports, installed under an alias.
    const client = new Redis5(port, '127.0.0.1', { ...LIMITER_CLIENT_OPTIONS, lazyConnect: true })
    await client.connect()
    return { kind, client, close: async () => client.disconnect() }
  }
  if (kind === 'iovalkey') {
    const client = new Valkey(port, '127.0.0.1', { ...LIMITER_CLIENT_OPTIONS, lazyConnect: true })
    await client.connect()
    return { kind, client, close: async () => client.disconnect() }
  }
  const client = createClient({
    socket: { host: '127.0.0.1', port, reconnectStrategy: false },
    disableOfflineQueue: true,
  })
  client.on('error', () => {}) // a stopped server is expected at the end of a test file
  await client.connect()
  return { kind, client, close: async () => client.destroy() }
}

/**
 * Connects a cluster client of `kind` to test nodes on 127.0.0.1, configured as safely as {@link connectClient}.
 *
 * @example
 * ```ts
 * const { client, close } = await connectCluster('node-redis', cluster.startupNodes)
 * ```
 */
export async function connectCluster(kind: ClientKind, nodes: Nodes): Promise<ConnectedClient> {
  if (kind === 'ioredis') {
    const client = await connectLimiterCluster(nodes, {
      redisOptions: { ...LIMITER_CLIENT_OPTIONS, commandTimeout: 1000 },
    })
    return { kind, client, close: async () => client.disconnect() }
  }
  if (kind === 'ioredis 5') {
    const client = new Cluster5([...nodes], {
      enableOfflineQueue: false,
      redisOptions: { ...LIMITER_CLIENT_OPTIONS, commandTimeout: 1000 },
      lazyConnect: true,
    })
    await client.connect()
    return { kind, client, close: async () => client.disconnect() }
  }
  if (kind === 'iovalkey') {
    const client = new ValkeyCluster([...nodes], {
      enableOfflineQueue: false,
      redisOptions: { ...LIMITER_CLIENT_OPTIONS, commandTimeout: 1000 },
      lazyConnect: true,
    })
    await client.connect()
    return { kind, client, close: async () => client.disconnect() }
  }
  const client = createCluster({
    rootNodes: nodes.map(({ host, port }) => ({ socket: { host, port } })),
    defaults: { disableOfflineQueue: true },
  })
  client.on('error', () => {})
  await client.connect()
  return { kind, client, close: async () => client.destroy() }
}
