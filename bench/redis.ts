// The bench's private redis-server (never 6379), limiter-safe clients, and its CPU and memory counters.
import { Redis } from 'ioredis'

export { type RedisServer, startRedisServer } from '../test/harness/redis-server.js'

/**
 * Connects as RedisStore asks (no offline queue, no resends, one retry) and resolves once ready.
 *
 * @example
 * ```ts
 * const client = await connectClient(server.port)
 * ```
 */
export async function connectClient(port: number): Promise<Redis> {
  const client = new Redis(port, '127.0.0.1', {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  })
  await client.connect()
  return client
}

/** Seconds of CPU (user + system) the redis-server has used since it started. */
export async function redisCpuSeconds(client: Redis): Promise<number> {
  const info = await client.info('cpu')
  return infoNumber(info, 'used_cpu_user') + infoNumber(info, 'used_cpu_sys')
}

/** Bytes the redis-server's allocator holds (`INFO memory` used_memory). */
export async function redisUsedMemory(client: Redis): Promise<number> {
  return infoNumber(await client.info('memory'), 'used_memory')
}

function infoNumber(info: string, field: string): number {
  const match = new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)
  if (!match) throw new Error(`INFO has no ${field}`)
  return Number(match[1])
}
