// HybridStore: decisions spend local leases taken atomically from the Redis buckets; one batched call per sync.
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Policy, StepResult, Store } from '@spillway/core'
import { cachedSharePolicy, monotonicClockUs, publishEvent, settleWithin, stepBucket } from '@spillway/core/store'
import { peekBucket, refundBucket, resetBucket } from './bucket-admin-scripts.js'
import { FlushSchedule } from './flush-schedule.js'
import { KeyLease } from './hybrid-key-lease.js'
import {
  type HybridStoreOptions,
  type ResolvedHybridStoreOptions,
  resolveHybridStoreOptions,
} from './hybrid-store-options.js'
import { type FleetAction, type LeaseReply, type SyncItem, sendSyncCall } from './hybrid-sync-call.js'
import { groupBySlot } from './key-slot.js'
import { runScript } from './run-script.js'
import type { RedisStoreClient } from './script-runner.js'
import { parseStep } from './step-reply.js'

/** A process unseen for this many sync intervals no longer counts in N. */
const STALE_INTERVALS = 3

/**
 * A `Store` that decides in-process on leases: tokens taken from the Redis bucket atomically (the same
 * buckets and key layout as {@link RedisStore}, so both may share a prefix), then spent locally. Over
 * any window Δ the fleet admits at most `B + R·(Δ + L)` per key, whatever the number of processes N
 * (L = `syncIntervalMs`, the lease lifetime), at a fraction of a Redis call per decision for hot and
 * abusive keys. See docs/hybrid.md for the protocol and the measured figures.
 *
 * - A key with no lease costs one round trip (a lease sized by its demand, at least the request's cost).
 * - A lease is spent only within `syncIntervalMs` of its request; the next one is asked for when half
 *   of it is spent, so a hot key never waits. Leases are capped at ⌊B/N⌋, N learned from heartbeats
 *   folded into the sync call.
 * - Expired leftovers go back to Redis at the next call (`tat ← max(now, tat − u·T)`), once.
 * - When Redis says the bucket is empty until a known time, the process rejects locally until then
 *   (plus a random spread over the fleet, so N processes do not wake at one instant).
 * - When a call fails or exceeds `timeoutMs`, the store decides on the local share `(B/N, R/N)`, which
 *   starts with what is left of the key's leases (decisions say `source: 'fallback'`), and goes back
 *   to leases at the first sync Redis answers. Nothing decided locally is ever sent to Redis.
 * - `close()` returns every unspent token and removes the process from the fleet.
 *
 * @example
 * ```ts
 * const client = new Redis({ enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 })
 * await once(client, 'ready')
 * const store = new HybridStore({ client, syncIntervalMs: 1000 })
 * const limiter = createLimiter({ capacity: 1000, refillRate: 500, store })
 * // on shutdown
 * await store.close()
 * ```
 */
export class HybridStore implements Store {
  readonly name = 'hybrid'
  readonly client: RedisStoreClient
  readonly prefix: string
  readonly keySpace: object
  readonly syncIntervalMs: number
  /** The sorted set this process beats into: `${prefix}fleet`. */
  readonly fleetKey: string
  readonly #settings: ResolvedHybridStoreOptions
  readonly #processId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  readonly #entries = new Map<string, KeyLease>()
  /** Keys that need the next call (waiters or a prefetch). */
  readonly #due = new Set<string>()
  readonly #calls = new Set<Promise<void>>()
  readonly #timer: ReturnType<typeof setInterval>
  #fleetSize = 1
  #degraded = false
  readonly #schedule = new FlushSchedule(() => this.#flush(false))
  #closed = false

  constructor(options: HybridStoreOptions) {
    this.#settings = resolveHybridStoreOptions(options)
    this.client = this.#settings.client
    this.prefix = this.#settings.prefix
    this.keySpace = this.#settings.keySpace
    this.syncIntervalMs = this.#settings.syncIntervalMs
    this.fleetKey = `${this.prefix}fleet`
    this.#timer = setInterval(() => this.#sync(), this.syncIntervalMs)
    this.#timer.unref?.()
    this.#sync()
  }

  /**
   * N: the processes that beat into {@link fleetKey} within the last 3 sync intervals (1 until Redis answers).
   *
   * @example
   * ```ts
   * const share = sharePolicy(policy, store.fleetSize())
   * ```
   */
  fleetSize(): number {
    return this.#fleetSize
  }

  /**
   * Takes `cost` tokens from `key`'s bucket: from this process's lease when it holds enough, else with
   * a lease from Redis (one round trip, shared with every key due in this tick).
   *
   * @example
   * ```ts
   * const step = await store.consume('default:{203.0.113.7}', policy, 1)
   * ```
   */
  consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    if (this.#closed) return Promise.reject(new Error('[spillway] HybridStore is closed'))
    const nowUs = monotonicClockUs()
    const entry = this.#entryOf(key, policy)
    entry.demandNow += cost
    entry.expire(nowUs)
    if (this.#degraded) return Promise.resolve(this.#decideOnShare(entry, cost, nowUs))
    if (entry.waiters.length === 0) {
      if (cost <= entry.liveTokens()) return Promise.resolve(this.#spend(key, entry, cost, nowUs))
      if (entry.isBlocked(nowUs, cost)) {
        return Promise.resolve({ allowed: false, debtUs: entry.rejectedDebtUs(nowUs, cost) })
      }
    }
    return new Promise((resolve) => {
      entry.waiters.push({ cost, resolve })
      this.#markDue(key)
    })
  }

  /**
   * Returns every unspent token to Redis (one call), leaves the fleet and stops syncing. The client
   * belongs to the caller, who quits it afterwards. Decisions after `close()` reject.
   *
   * @example
   * ```ts
   * await store.close()
   * await client.quit()
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#flush(false)
    this.#closed = true
    clearInterval(this.#timer)
    await Promise.allSettled([...this.#calls])
    this.#rejectStragglers()
    const items: SyncItem[] = []
    for (const [key, entry] of this.#entries) {
      const returned = entry.toReturn + entry.takeAllLive()
      entry.toReturn = 0
      if (returned > 0) items.push(this.#item(key, entry, { returned, want: 0, need: 0 }))
    }
    this.#entries.clear()
    await Promise.allSettled(this.#callsFor(items, { kind: 'leave' }).map(([group, fleet]) => this.#send(group, fleet)))
  }

  /** Decisions still waiting once the last calls settled (they arrived during close): rejected. */
  #rejectStragglers(): void {
    const nowUs = monotonicClockUs()
    for (const entry of this.#entries.values()) {
      for (const waiter of entry.waiters)
        waiter.resolve({ allowed: false, debtUs: entry.rejectedDebtUs(nowUs, waiter.cost) })
      entry.waiters = []
    }
  }

  #entryOf(key: string, policy: Policy): KeyLease {
    let entry = this.#entries.get(key)
    if (entry === undefined) {
      entry = new KeyLease(policy)
      this.#entries.set(key, entry)
    }
    entry.policy = policy
    return entry
  }

  #spend(key: string, entry: KeyLease, cost: number, nowUs: number): StepResult {
    entry.spend(cost)
    if (entry.prefetchDue && !entry.inFlight && !entry.isBlocked(nowUs, 1)) this.#markDue(key)
    return { allowed: true, debtUs: entry.estimatedDebtUs(nowUs) }
  }

  /**
   * The bucket as Redis holds it (one `EVALSHA`, nothing taken). Tokens this process holds in a live lease
   * were already taken from Redis, so they count as spent here.
   *
   * @example
   * ```ts
   * const { debtUs } = await store.peek('default:{203.0.113.7}', policy)
   * ```
   */
  async peek(key: string, policy: Policy): Promise<StepResult> {
    const args = [policy.emissionIntervalUs, policy.burstUs]
    return parseStep(await runScript(this.#settings.runner, peekBucket, [this.prefix + key], args))
  }

  /**
   * Makes the bucket full again: deletes it in Redis and forgets this process's lease for it (another
   * process's live lease stays spendable until it expires, at most `syncIntervalMs`).
   *
   * @example
   * ```ts
   * await store.reset('login:{alice}', policy)
   * ```
   */
  async reset(key: string, _policy: Policy): Promise<void> {
    this.#entries.delete(key)
    await runScript(this.#settings.runner, resetBucket, [this.prefix + key], [])
  }

  /**
   * Gives `tokens` back to the bucket in Redis, atomically and never above capacity.
   *
   * @example
   * ```ts
   * await store.refund('default:{203.0.113.7}', policy, 1)
   * ```
   */
  async refund(key: string, policy: Policy, tokens: number): Promise<StepResult> {
    const args = [policy.emissionIntervalUs, policy.burstUs, tokens]
    const step = parseStep(await runScript(this.#settings.runner, refundBucket, [this.prefix + key], args))
    // What Redis said about the bucket is stale now: a key rejected locally may ask again at once.
    const entry = this.#entries.get(key)
    if (entry) {
      entry.redisDebtUs = step.debtUs
      entry.redisDebtAtUs = monotonicClockUs()
      entry.spreadUs = 0
    }
    return step
  }

  /**
   * Outage: the local share `(⌈B/N⌉, R/N)`, starting from what is left of the key's leases — or full for
   * a key Redis never answered for (a new client, or Redis down at boot), like the fallback of `resilient`.
   */
  #decideOnShare(entry: KeyLease, cost: number, nowUs: number): StepResult {
    const share = cachedSharePolicy(entry.policy, this.#fleetSize)
    if (entry.outageTatUs === undefined) {
      const neverAnswered = entry.lastLeaseSize === 0 && entry.redisDebtAtUs === 0
      const leftover = neverAnswered ? share.capacity : Math.min(entry.takeAllLive(), share.capacity)
      entry.outageTatUs = nowUs + (share.capacity - leftover) * share.emissionIntervalUs
    }
    const step = stepBucket(share, { tatUs: entry.outageTatUs, nowUs, cost })
    entry.outageTatUs = step.tatUs
    return { allowed: step.allowed, debtUs: step.debtUs, fallbackPolicy: share }
  }

  /** Queues `key` for the next call, sent as {@link FlushSchedule} says (never on a timer). */
  #markDue(key: string): void {
    this.#due.add(key)
    this.#schedule.request(this.#calls.size)
  }

  /** The periodic sync: expire, roll demand, forget idle keys, then one call with every return and the beat. */
  #sync(): void {
    if (this.#closed) return
    const nowUs = monotonicClockUs()
    for (const [key, entry] of this.#entries) {
      entry.expire(nowUs)
      entry.rollDemand()
      if (entry.isIdle(nowUs)) this.#entries.delete(key)
      else if (entry.toReturn > 0) this.#due.add(key)
    }
    this.#flush(true)
  }

  /** Sends what the due keys need (and the beat when `beat`): one call per node, one per slot on a Cluster. */
  #flush(beat: boolean): void {
    if (this.#closed) return
    const nowUs = monotonicClockUs()
    const maxLease = (policy: Policy) => Math.max(1, Math.floor(policy.capacity / this.#fleetSize))
    const items: SyncItem[] = []
    for (const key of this.#due) {
      const entry = this.#entries.get(key)
      if (entry?.inFlight) continue // its reply marks it due again if it still needs something
      this.#due.delete(key)
      if (entry === undefined) continue
      const request = entry.nextRequest(maxLease(entry.policy), nowUs)
      if (request === undefined) continue
      entry.toReturn -= request.returned
      items.push(this.#item(key, entry, request))
    }
    const fleet: FleetAction = beat
      ? { kind: 'beat', staleMs: STALE_INTERVALS * this.syncIntervalMs }
      : { kind: 'none' }
    for (const [group, action] of this.#callsFor(items, fleet)) this.#track(group, action)
  }

  /**
   * The calls that carry `items` and `fleet`: one on a single node; on a Cluster (a script's keys must
   * share a slot) the fleet action alone on the fleet key, then one call per slot.
   */
  #callsFor(items: SyncItem[], fleet: FleetAction): Array<[SyncItem[], FleetAction]> {
    if (!this.#settings.runner.isCluster) return [[items, fleet]]
    const calls: Array<[SyncItem[], FleetAction]> = fleet.kind === 'none' ? [] : [[[], fleet]]
    for (const group of groupBySlot(items, (item) => item.redisKey)) calls.push([group, { kind: 'none' }])
    return calls
  }

  #item(key: string, entry: KeyLease, request: SyncItem['request']): SyncItem {
    return { redisKey: this.prefix + key, policy: entry.policy, request }
  }

  #track(items: SyncItem[], fleet: FleetAction): void {
    if (items.length === 0 && fleet.kind === 'none') return
    const call = this.#send(items, fleet).catch(() => undefined)
    this.#calls.add(call)
    void call.finally(() => this.#calls.delete(call))
  }

  /** One call; applies the replies, or fails the waiters over to the local share. Never resends. */
  async #send(items: SyncItem[], fleet: FleetAction): Promise<void> {
    const sentAtUs = monotonicClockUs()
    const entries = items.map((item) => this.#entries.get(item.redisKey.slice(this.prefix.length)))
    for (const entry of entries) if (entry !== undefined) entry.inFlight = true
    const anchorKey = fleet.kind === 'none' && items[0] !== undefined ? items[0].redisKey : this.fleetKey
    try {
      const call = sendSyncCall(this.#settings.runner, { anchorKey, processId: this.#processId, fleet, items })
      const { fleetSize, replies } = await settleWithin(call, this.#settings.timeoutMs, () => {
        // Its late reply is ignored: those leases are lost, never resent.
        return new Error(`[spillway] HybridStore: Redis did not answer within ${this.#settings.timeoutMs} ms`)
      })
      if (fleet.kind === 'beat' && fleetSize > 0) this.#fleetSize = fleetSize
      this.#published(items.length, sentAtUs)
      this.#recover()
      entries.forEach((entry, i) => {
        if (entry !== undefined) this.#applyLease(entry, items[i] as SyncItem, replies[i] as LeaseReply, sentAtUs)
      })
    } catch (error) {
      report(this.#settings.onError, error)
      this.#published(items.length, sentAtUs, error)
      if (fleet.kind !== 'leave') this.#degraded = true
      for (const entry of entries) if (entry !== undefined) this.#failWaiters(entry)
      throw error
    }
  }

  /** The `spillway:hybrid-sync` event of one call (built only while someone listens). */
  #published(keys: number, sentAtUs: number, error?: unknown): void {
    publishEvent('hybridSync', () => ({
      store: this.name,
      keys,
      durationMs: (monotonicClockUs() - sentAtUs) / 1000,
      ok: error === undefined,
      fleetSize: this.#fleetSize,
      ...(error !== undefined && { error }),
    }))
  }

  #recover(): void {
    if (!this.#degraded) return
    this.#degraded = false
    for (const entry of this.#entries.values()) entry.outageTatUs = undefined
  }

  #applyLease(entry: KeyLease, item: SyncItem, reply: LeaseReply, sentAtUs: number): void {
    const nowUs = monotonicClockUs()
    entry.inFlight = false
    entry.addLease(reply.granted, sentAtUs + this.syncIntervalMs * 1000)
    entry.redisDebtUs = reply.debtUs
    entry.redisDebtAtUs = nowUs
    entry.spreadUs = reply.waitUs > 0 && item.request.need <= entry.policy.capacity ? this.#spreadUs(entry.policy) : 0
    this.#serveWaiters(item.redisKey.slice(this.prefix.length), entry, nowUs)
  }

  /**
   * A random delay in `[0, min(L, N·T))` (none when N = 1): N processes told "empty until t" retry
   * spread over the N tokens the bucket makes meanwhile, not all at t.
   */
  #spreadUs(policy: Policy): number {
    if (this.#fleetSize === 1) return 0
    const windowUs = Math.min(this.syncIntervalMs * 1000, this.#fleetSize * policy.emissionIntervalUs)
    return Math.floor(Math.random() * windowUs)
  }

  /** Serves the waiters a lease covers, rejects those Redis said no to, keeps the rest for the next call. */
  #serveWaiters(key: string, entry: KeyLease, nowUs: number): void {
    const waiting = entry.waiters
    entry.waiters = []
    for (const waiter of waiting) {
      if (this.#degraded) waiter.resolve(this.#decideOnShare(entry, waiter.cost, nowUs))
      else if (waiter.cost <= entry.liveTokens()) waiter.resolve(this.#spend(key, entry, waiter.cost, nowUs))
      else if (waiter.cost > entry.policy.capacity || entry.isBlocked(nowUs, waiter.cost)) {
        waiter.resolve({ allowed: false, debtUs: entry.rejectedDebtUs(nowUs, waiter.cost) })
      } else entry.waiters.push(waiter)
    }
    if (entry.waiters.length > 0 || (entry.prefetchDue && !entry.isBlocked(nowUs, 1))) this.#markDue(key)
  }

  #failWaiters(entry: KeyLease): void {
    entry.inFlight = false
    const nowUs = monotonicClockUs()
    const waiting = entry.waiters
    entry.waiters = []
    for (const waiter of waiting) waiter.resolve(this.#decideOnShare(entry, waiter.cost, nowUs))
  }
}

function report(hook: ((error: unknown) => void) | undefined, error: unknown): void {
  try {
    hook?.(error)
  } catch {
    // a failing hook never changes a decision
  }
}
