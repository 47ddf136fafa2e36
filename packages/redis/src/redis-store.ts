// RedisStore: every decision is one atomic script run inside Redis, on Redis's clock.
import type { Policy, StepResult, Store } from '@spillway/core'
import { warnAboutReplayRisks } from './client-safety.js'
import { type RedisStoreOptions, resolveRedisStoreOptions } from './redis-store-options.js'
import { runScript } from './run-script.js'
import type { RedisStoreClient, ScriptRunner } from './script-runner.js'
import { parseStep } from './step-reply.js'
import { tokenBucket } from './token-bucket-script.js'

/**
 * Keeps buckets in Redis, shared by every process that uses the same Redis and prefix. Each decision
 * is one `EVALSHA` of {@link tokenBucketScript}: atomic, timed by Redis `TIME` (app clocks never
 * matter), reloaded transparently after `NOSCRIPT`. An idle key expires once its bucket is full.
 *
 * Key layout: `${prefix}${policy name}:{${client key}}` (the limiter's namespacing, see `Store`). The
 * client key is the hash tag, so every policy of one client lives in one Cluster slot.
 *
 * Create the client so that no decision is ever applied after it was answered (ioredis queues
 * commands while offline and resends unanswered ones after a reconnect; either would count a request
 * twice): `enableOfflineQueue: false`, `autoResendUnfulfilledCommands: false`, a bounded
 * `maxRetriesPerRequest`. The store warns once (`SPILLWAY_REDIS_REPLAY`) when it sees otherwise.
 * With `enableOfflineQueue: false`, wait for the client's `ready` event before the first decision.
 * Concurrent decisions already share round trips: ioredis keeps every command in flight on one
 * connection without waiting for earlier replies. `enableAutoPipelining` only merges their writes, and
 * measured slower on loopback (see the README).
 *
 * @example
 * ```ts
 * import { once } from 'node:events'
 * import { Redis } from 'ioredis'
 * const client = new Redis({
 *   enableOfflineQueue: false,
 *   autoResendUnfulfilledCommands: false,
 *   maxRetriesPerRequest: 1,
 *   commandTimeout: 250,
 * })
 * await once(client, 'ready')
 * const limiter = createLimiter({ capacity: 100, refillRate: 10, store: new RedisStore({ client }) })
 * ```
 */
export class RedisStore implements Store {
  readonly name = 'redis'
  readonly client: RedisStoreClient
  /** The client behind one small interface: what store features (and heartbeats) call. */
  readonly runner: ScriptRunner
  readonly prefix: string
  /** One object per client and prefix: two stores on them share buckets, and limiters know it. */
  readonly keySpace: object

  constructor(options: RedisStoreOptions) {
    const resolved = resolveRedisStoreOptions(options)
    this.client = resolved.client
    this.runner = resolved.runner
    this.prefix = resolved.prefix
    this.keySpace = keySpaceOf(this.client, this.prefix)
    warnAboutReplayRisks(this.runner)
  }

  /**
   * The Redis key of a bucket: the store's prefix and the key the limiter namespaced
   * (`<policy name>:{<client key>}`).
   *
   * @example
   * ```ts
   * store.redisKey('default:{203.0.113.7}') // 'spillway:default:{203.0.113.7}'
   * ```
   */
  redisKey(key: string): string {
    return this.prefix + key
  }

  /**
   * Atomically takes `cost` tokens from `key`'s bucket if they are there.
   *
   * @example
   * ```ts
   * const step = await store.consume('default:{203.0.113.7}', policy, 1)
   * ```
   */
  async consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    const args = [policy.emissionIntervalUs, policy.burstUs, cost]
    return parseStep(await runScript(this.runner, tokenBucket, [this.redisKey(key)], args))
  }

  /**
   * Does nothing: the client belongs to the caller, who quits it.
   *
   * @example
   * ```ts
   * await store.close()
   * await client.quit()
   * ```
   */
  close(): Promise<void> {
    return Promise.resolve()
  }
}

const keySpaces = new WeakMap<object, Map<string, object>>()

function keySpaceOf(client: object, prefix: string): object {
  const byPrefix = keySpaces.get(client) ?? new Map<string, object>()
  keySpaces.set(client, byPrefix)
  const keySpace = byPrefix.get(prefix) ?? Object.freeze({ prefix })
  byPrefix.set(prefix, keySpace)
  return keySpace
}
