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

/** A script call on seeded buckets: what {@link seededScriptCall} sends in one `MULTI`. */
export interface SeededCall {
  /** The buckets' keys, and each one's stored tat before the call (`undefined`: no key). */
  readonly keys: readonly string[]
  readonly seeds: readonly (number | undefined)[]
  readonly sha1: string
  readonly callKeys: readonly string[]
  readonly args: readonly (string | number)[]
}

/**
 * In one `MULTI`, so nothing runs in between: seeds the buckets, runs the script, reads each key back and
 * Redis `TIME`. Answers the script's reply, each key's value after as stored (`null`: no key) and that time
 * in µs.
 */
export async function seededScriptCall(
  client: Redis,
  call: SeededCall,
): Promise<{ reply: number[]; after: (string | null)[]; t1Us: number }> {
  const multi = client.multi()
  call.seeds.forEach((seed, i) => {
    if (seed === undefined) multi.del(call.keys[i] as string)
    else multi.set(call.keys[i] as string, String(seed))
  })
  multi.evalsha(call.sha1, call.callKeys.length, ...call.callKeys, ...call.args)
  for (const key of call.keys) multi.get(key)
  multi.time()
  const results = (await multi.exec()) ?? []
  const failed = results.find(([error]) => error !== null)
  if (failed) throw failed[0]
  const values = results.map(([, value]) => value)
  return {
    reply: values[call.seeds.length] as number[],
    after: values.slice(-call.keys.length - 1, -1) as (string | null)[],
    t1Us: redisTimeUs(values.at(-1)),
  }
}

/** A stored tat as a number; `undefined` for no key. */
export const storedUs = (value: string | null): number | undefined => (value === null ? undefined : Number(value))

/** Whether some `now` in [t0, t1] (a script read `TIME` once, in between) makes `explains` true. */
export function someNowExplains(t0Us: number, t1Us: number, explains: (nowUs: number) => boolean): boolean {
  for (let nowUs = t0Us; nowUs <= t1Us; nowUs++) if (explains(nowUs)) return true
  return false
}
