// The scripts' tests: one private redis-server and a plain client per file, and Redis TIME in µs.
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { type RedisServer, startRedisServer } from '../../../test/harness/redis-server.js'

/**
 * Registers hooks that start a redis-server, connect a client with no offline queue and `SCRIPT LOAD`
 * `scripts`; read `client` inside tests only. Stops both after the file (or the enclosing `describe`).
 *
 * @example
 * ```ts
 * const redis = useScriptServer(tokenBucketScript)
 * it('…', async () => { await redis.client.evalsha(tokenBucketScriptSha1, 1, key, t, b, 1) })
 * ```
 */
export function useScriptServer(...scripts: string[]): { readonly client: Redis } {
  let server: RedisServer | undefined
  let client: Redis | undefined
  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.port, '127.0.0.1', { enableOfflineQueue: false, lazyConnect: true })
    await client.connect()
    for (const script of scripts) await client.script('LOAD', script)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })
  return {
    get client() {
      if (client === undefined) throw new Error('the script server was read before its beforeAll hook ran')
      return client
    },
  }
}

/** Redis `TIME`'s reply `[seconds, microseconds]` as µs since the epoch. */
export function redisTimeUs(time: unknown): number {
  const [seconds, micros] = time as [string, string]
  return Number(seconds) * 1e6 + Number(micros)
}
