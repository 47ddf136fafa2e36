// A test file's private redis-server and limiter-ready client, started before its tests and stopped after.
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { connectLimiterClient } from './redis-client.js'
import { type RedisServer, startRedisServer } from './redis-server.js'

export interface RedisFixture {
  readonly server: RedisServer
  readonly client: Redis
}

/**
 * Registers `beforeAll`/`afterAll` hooks for one redis-server and one client made by
 * `connectLimiterClient`; read `server` and `client` inside tests and hooks only. A file's own `afterAll`
 * registered after this call runs before the server stops (vitest runs after-hooks in reverse).
 *
 * @example
 * ```ts
 * const redis = useRedisServer()
 * it('decides on Redis', async () => { const store = new RedisStore({ client: redis.client }) })
 * ```
 */
export function useRedisServer(): RedisFixture {
  let server: RedisServer | undefined
  let client: Redis | undefined
  beforeAll(async () => {
    server = await startRedisServer()
    client = await connectLimiterClient(server.port)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the Redis fixture was read before its beforeAll hook ran')
    return value
  }
  return {
    get server() {
      return started(server)
    },
    get client() {
      return started(client)
    },
  }
}
