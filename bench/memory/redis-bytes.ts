// Redis bytes per key of each limiter: used_memory growth over N new client keys, and MEMORY USAGE of one.
import type { Redis } from 'ioredis'
import { redisUsedMemory } from '../redis.js'
import { REDIS_WRITERS } from './redis-writers.js'

export interface RedisBytes {
  readonly label: string
  readonly bytesPerKey: number
  readonly memoryUsageOfOneKey: number
  readonly keysPerClient: number
}

const BATCH = 100

/**
 * Measures every writer on an emptied server, one after the other.
 *
 * @example
 * ```ts
 * const rows = await measureRedisBytes(admin, 100_000)
 * ```
 */
export async function measureRedisBytes(client: Redis, clients: number): Promise<RedisBytes[]> {
  const rows: RedisBytes[] = []
  for (const factory of REDIS_WRITERS) {
    await client.flushall()
    const writer = await factory(client)
    await writer.write('192.0.2.1') // loads scripts and creates whatever a first call creates
    await client.flushall()
    const before = await redisUsedMemory(client)
    for (let start = 0; start < clients; start += BATCH) {
      await Promise.all(Array.from({ length: BATCH }, (_, i) => writer.write(ipOf(start + i))))
    }
    const keys = await client.dbsize()
    const after = await redisUsedMemory(client)
    const sample = (await client.randomkey()) ?? ''
    const memoryUsageOfOneKey = Number(await client.call('MEMORY', 'USAGE', sample))
    await writer.close?.()
    rows.push({
      label: writer.label,
      bytesPerKey: (after - before) / keys,
      memoryUsageOfOneKey,
      keysPerClient: keys / clients,
    })
  }
  await client.flushall()
  return rows
}

const ipOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
