// RedisStore: every decision is an atomic step inside a Redis script, on Redis's clock; a tick's decisions share one call.
import type { ConsumeStep, Policy, StepResult, Store } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import { groupDecider } from './all-or-nothing-calls.js'
import { peekBucket, refundBucket, resetBucket } from './bucket-admin-scripts.js'
import { warnAboutReplayRisks } from './client-safety.js'
import { redisNodeOf } from './cluster-partition.js'
import { type AllOrNothingTarget, consumeAllInRedis } from './consume-all.js'
import { type FleetHeartbeat, startFleetHeartbeat } from './fleet-heartbeat.js'
import { type RedisStoreOptions, resolveRedisStoreOptions } from './redis-store-options.js'
import { runScript } from './run-script.js'
import type { RedisStoreClient, ScriptRunner } from './script-runner.js'
import { StepBatcher } from './step-batcher.js'
import { parseStep } from './step-reply.js'
import { blockKeyOf, consumeBlocking, resetBlockedBucket } from './token-bucket-block-script.js'
import { tokenBucket } from './token-bucket-script.js'

/**
 * Keeps buckets in Redis, shared by every process that uses the same Redis and prefix. Each decision
 * is one atomic step of a Lua script, timed by Redis `TIME` (app clocks never matter), reloaded
 * transparently after `NOSCRIPT`. An idle key expires once its bucket is full. The decisions that
 * arrive within one tick share one `EVALSHA` of {@link tokenBucketBatchScript} (one per Cluster slot,
 * at most `maxBatchSize` each; two when no call is in flight and there are at least 32, so Redis works
 * on one while this process handles the other's answers), sent at the end of the tick; a lone decision
 * uses {@link tokenBucketScript}. `consumeAll` groups (requests under several policies) are batched alike
 * in calls of {@link tokenBucketAllScript}. `batch: false` sends one call per decision.
 *
 * `maxWait`: a policy with `maxWaitUs` D is stepped with `τ + D` as the scripts' burst argument (core's
 * `admissionWindowUs`), so tokens are reserved on credit in the same atomic step, on Redis `TIME`.
 *
 * Key layout: `${prefix}${policy name}:{${client key}}` (the limiter's namespacing, see `Store`). The
 * client key is the hash tag, so every policy of one client lives in one Cluster slot. A policy with
 * `blockDuration` keeps its block at `<bucket key>:block` (same slot), decided with the bucket in one
 * call of {@link tokenBucketBlockScript} (not batched).
 *
 * The client is ioredis or iovalkey (`Redis`, `Cluster`) or node-redis v5 (`createClient`,
 * `createCluster`). Create it so that no decision is ever applied after it was answered (a queue
 * while offline, or a resend after a reconnect, would count a request twice): with ioredis/iovalkey
 * `enableOfflineQueue: false`, `autoResendUnfulfilledCommands: false`, a bounded
 * `maxRetriesPerRequest`; with node-redis `disableOfflineQueue: true` (in `defaults` for a cluster).
 * The store warns once (`SPILLWAY_REDIS_REPLAY`) when it sees otherwise. Without an offline queue,
 * wait until the client is ready before the first decision.
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
  /** Tells limiters that this store is reached over the network: by default they wrap it in `resilient()`. */
  readonly remote = true
  /** Decisions of one tick share a script call; `undefined` with `batch: false`. */
  readonly #batcher: StepBatcher | undefined
  /** What `consumeAll` decides with: groups batched as decisions are (or one call each). */
  readonly #allOrNothing: AllOrNothingTarget
  /** Whether to learn the fleet size N from heartbeats; started at the first decision, shared per client. */
  readonly #heartbeatWanted: boolean
  #heartbeat: FleetHeartbeat | undefined
  #partitionOf: ((key: string) => string) | undefined

  constructor(options: RedisStoreOptions) {
    const resolved = resolveRedisStoreOptions(options)
    this.client = resolved.client
    this.runner = resolved.runner
    this.prefix = resolved.prefix
    this.keySpace = keySpaceOf(this.client, this.prefix)
    this.#batcher = resolved.batch ? new StepBatcher(this.runner, resolved.maxBatchSize) : undefined
    this.#allOrNothing = { runner: this.runner, prefix: this.prefix, decideGroup: groupDecider(this.runner, resolved) }
    this.#heartbeatWanted = resolved.heartbeat
    warnAboutReplayRisks(this.runner)
  }

  /**
   * N, the processes of this fleet seen by the heartbeat (1 until the first beat answers, or with
   * `heartbeat: false`): the local fallback holds this process's share `(B/N, R/N)`.
   *
   * @example
   * ```ts
   * store.fleetSize() // 4 with four processes on this Redis and prefix
   * ```
   */
  fleetSize(): number {
    return this.#heartbeat?.fleetSize() ?? 1
  }

  /**
   * The Cluster master (`host:port`) that serves `key` now; `''` on a single node. Limiters give each
   * its own circuit breaker, so one dead master sends only its own keys to the local fallback.
   *
   * @example
   * ```ts
   * store.partitionOf('default:{203.0.113.7}') // '10.0.0.12:7001'
   * ```
   */
  partitionOf(key: string): string {
    this.#partitionOf ??= redisNodeOf(this)
    return this.#partitionOf(key)
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
  consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    if (this.#heartbeatWanted && this.#heartbeat === undefined) this.#heartbeat = joinFleet(this.client, this.prefix)
    // Under maxWait the scripts' window is τ + D: a cost above B (never admitted) is answered by a peek.
    if (policy.maxWaitUs !== undefined && cost > policy.capacity) return this.#refuseOverCapacity(key, policy)
    const redisKey = this.prefix + key
    if (policy.block !== undefined) return consumeBlocking(this.runner, redisKey, policy, cost)
    if (this.#batcher !== undefined) return this.#batcher.step(redisKey, policy, cost)
    return consumeAlone(this.runner, redisKey, policy, cost)
  }

  async #refuseOverCapacity(key: string, policy: Policy): Promise<StepResult> {
    const { debtUs } = await this.peek(key, policy)
    return { allowed: false, debtUs }
  }

  /**
   * The policies of one request decided all-or-nothing: one group of `tokenBucketAllScript`, atomic
   * when the keys share a Cluster slot (one identity); across slots, per slot with a give-back (see
   * `consumeAllInRedis`). With `batch`, the groups of concurrent requests share calls as single
   * decisions do (a request is never split); `batch: false` sends one call per group. Never on credit:
   * a policy with `maxWait` is admitted here only when its tokens are there now.
   *
   * @example
   * ```ts
   * const [global, login] = await store.consumeAll([
   *   { key: 'global:{203.0.113.7}', policy: global, cost: 1 },
   *   { key: 'login:{203.0.113.7}', policy: login, cost: 1 },
   * ])
   * ```
   */
  consumeAll(steps: readonly ConsumeStep[]): Promise<StepResult[]> {
    if (this.#heartbeatWanted && this.#heartbeat === undefined) this.#heartbeat = joinFleet(this.client, this.prefix)
    return consumeAllInRedis(this.#allOrNothing, steps)
  }

  /**
   * The bucket's state without taking anything (one `EVALSHA` of `peekBucketScript`, on Redis `TIME`).
   *
   * @example
   * ```ts
   * const { debtUs } = await store.peek('default:{203.0.113.7}', policy)
   * ```
   */
  async peek(key: string, policy: Policy): Promise<StepResult> {
    const args = [policy.emissionIntervalUs, admissionWindowUs(policy)]
    return parseStep(await runScript(this.runner, peekBucket, [this.prefix + key], args))
  }

  /**
   * Forgets the bucket at `key` (one `DEL`, in `resetBucketScript`): it is full again.
   *
   * @example
   * ```ts
   * await store.reset('login:{alice}', policy)
   * ```
   */
  async reset(key: string, policy: Policy): Promise<void> {
    const redisKey = this.prefix + key
    if (policy.block !== undefined)
      await runScript(this.runner, resetBlockedBucket, [redisKey, blockKeyOf(redisKey)], [])
    else await runScript(this.runner, resetBucket, [redisKey], [])
  }

  /**
   * Atomically gives `tokens` back, never above capacity (`refundBucketScript`); answers the state after.
   *
   * @example
   * ```ts
   * await store.refund('default:{203.0.113.7}', policy, 1)
   * ```
   */
  async refund(key: string, policy: Policy, tokens: number): Promise<StepResult> {
    const args = [policy.emissionIntervalUs, admissionWindowUs(policy), tokens]
    return parseStep(await runScript(this.runner, refundBucket, [this.prefix + key], args))
  }

  /**
   * Stops this store's share of the heartbeat (the last store of a client leaves the fleet); the client
   * belongs to the caller, who quits it.
   *
   * @example
   * ```ts
   * await store.close()
   * await client.quit()
   * ```
   */
  async close(): Promise<void> {
    const heartbeat = this.#heartbeat
    this.#heartbeat = undefined
    if (heartbeat) await leaveFleet(this.client, this.prefix)
  }
}

async function consumeAlone(runner: ScriptRunner, key: string, policy: Policy, cost: number): Promise<StepResult> {
  return parseStep(
    await runScript(runner, tokenBucket, [key], [policy.emissionIntervalUs, admissionWindowUs(policy), cost]),
  )
}

const keySpaces = new WeakMap<object, Map<string, object>>()

function keySpaceOf(client: object, prefix: string): object {
  const byPrefix = keySpaces.get(client) ?? new Map<string, object>()
  keySpaces.set(client, byPrefix)
  const keySpace = byPrefix.get(prefix) ?? Object.freeze({ prefix })
  byPrefix.set(prefix, keySpace)
  return keySpace
}

/** One heartbeat per client and prefix, however many stores use them; the last to close stops it. */
const fleets = new WeakMap<object, Map<string, { heartbeat: FleetHeartbeat; users: number }>>()

function joinFleet(client: RedisStoreClient, prefix: string): FleetHeartbeat {
  const byPrefix = fleets.get(client) ?? new Map<string, { heartbeat: FleetHeartbeat; users: number }>()
  fleets.set(client, byPrefix)
  const entry = byPrefix.get(prefix) ?? { heartbeat: startFleetHeartbeat({ client, key: `${prefix}fleet` }), users: 0 }
  entry.users++
  byPrefix.set(prefix, entry)
  return entry.heartbeat
}

async function leaveFleet(client: RedisStoreClient, prefix: string): Promise<void> {
  const byPrefix = fleets.get(client)
  const entry = byPrefix?.get(prefix)
  if (!byPrefix || !entry) return
  entry.users--
  if (entry.users > 0) return
  byPrefix.delete(prefix)
  await entry.heartbeat.close()
}
