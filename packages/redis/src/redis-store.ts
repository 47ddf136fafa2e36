// RedisStore: every decision is one atomic script run inside Redis, on Redis's clock.
import { type ConsumeRequest, type Decision, describeDecision, type Policy, type Store } from '@spillway/core'
import type { Cluster, Redis } from 'ioredis'
import { warnAboutReplayRisks } from './client-safety.js'
import { type RedisStoreOptions, resolveRedisStoreOptions } from './redis-store-options.js'
import { runScript, runScriptPipelined, type ScriptCall } from './run-script.js'

/**
 * Keeps buckets in Redis, shared by every process that uses the same Redis and prefix. Each decision
 * is one `EVALSHA` of {@link tokenBucketScript}: atomic, timed by Redis `TIME` (app clocks never
 * matter), reloaded transparently after `NOSCRIPT`. An idle key expires once its bucket is full.
 *
 * Key layout: `${prefix}${policy.name}:{${key}}`. The client key is the hash tag, so every policy of
 * one client lives in one Cluster slot.
 *
 * Create the client so that no decision is ever applied after it was answered (ioredis queues
 * commands while offline and resends unanswered ones after a reconnect; either would count a request
 * twice): `enableOfflineQueue: false`, `autoResendUnfulfilledCommands: false`, a bounded
 * `maxRetriesPerRequest`. The store warns once (`SPILLWAY_REDIS_REPLAY`) when it sees otherwise.
 * With `enableOfflineQueue: false`, wait for the client's `ready` event before the first decision.
 * Concurrent decisions already share round trips: ioredis keeps every command in flight on one
 * connection without waiting for earlier replies. `enableAutoPipelining` only merges their writes, and
 * measured slower on loopback (see the README); with a Cluster it groups `consumeMany` per node.
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
  readonly client: Redis | Cluster
  readonly prefix: string

  constructor(options: RedisStoreOptions) {
    const resolved = resolveRedisStoreOptions(options)
    this.client = resolved.client
    this.prefix = resolved.prefix
    warnAboutReplayRisks(this.client)
  }

  /**
   * The Redis key of `key`'s bucket under `policy`.
   *
   * @example
   * ```ts
   * store.keyOf('203.0.113.7', policy) // 'spillway:default:{203.0.113.7}'
   * ```
   */
  keyOf(key: string, policy: Policy): string {
    return `${this.prefix}${policy.name}:{${key}}`
  }

  /**
   * Atomically takes `cost` tokens from `key`'s bucket if they are there.
   *
   * @example
   * ```ts
   * const decision = await store.consume('203.0.113.7', policy, 1)
   * ```
   */
  async consume(key: string, policy: Policy, cost: number): Promise<Decision> {
    const step = await runScript(this.client, this.callOf({ key, policy, cost }))
    return describeDecision(policy, { ...step, cost })
  }

  /**
   * Several decisions in one round trip, answered in order; each is decided on its own. If any call
   * fails, the promise rejects with the first error (the others may have been applied).
   *
   * @example
   * ```ts
   * const [perSecond, perDay] = await store.consumeMany([
   *   { key, policy: burst, cost: 1 },
   *   { key, policy: daily, cost: 1 },
   * ])
   * ```
   */
  async consumeMany(requests: readonly ConsumeRequest[]): Promise<Decision[]> {
    if (requests.length === 0) return []
    if (this.client.isCluster) {
      // Keys of different clients live on different nodes; ioredis auto-pipelining groups them per node.
      return Promise.all(requests.map((request) => this.consume(request.key, request.policy, request.cost)))
    }
    const steps = await runScriptPipelined(this.client as Redis, requests.map(this.callOf, this))
    return steps.map((step, index) => {
      const { policy, cost } = requests[index] as ConsumeRequest
      return describeDecision(policy, { ...step, cost })
    })
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

  private callOf(request: ConsumeRequest): ScriptCall {
    const { policy, cost } = request
    return { key: this.keyOf(request.key, policy), args: [policy.emissionIntervalUs, policy.burstUs, cost] }
  }
}
