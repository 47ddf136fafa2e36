// The ioredis client every test connects with: configured as RedisStore asks.
import { Redis, type RedisOptions } from 'ioredis'

/** No offline queue, no resends, bounded retries: a decision happens now or fails now. */
export const LIMITER_CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
} as const satisfies RedisOptions

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
