// The in-process store: a bounded LRU of theoretical arrival times, on a monotonic clock.

import { decideTogetherAt } from './all-or-nothing.js'
import { stepBlockedBucket } from './block.js'
import { BlockBook } from './block-book.js'
import { peekBucket, refundBucket, stepBucket } from './bucket.js'
import { type ClockUs, monotonicClockUs } from './clock.js'
import { SpillwayConfigError } from './errors.js'
import { LruSlots, NO_SLOT } from './lru-slots.js'
import type { ConsumeStep, Policy, StepResult, Store } from './types.js'
import {
  optionalFunction,
  optionNames,
  rejectUnknownOptions,
  requireObject,
  requirePositiveInteger,
} from './validate.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most buckets kept at once (default 100 000). Past it a full bucket among the 16 least recently
   * used is forgotten (no accuracy lost); when none is full, the least recently used bucket is, i.e. reset
   * to full: that key may get up to one extra burst. Memory is bounded per store, by about
   * `maxKeys × 510 B` at worst (see {@link MemoryStore}).
   */
  maxKeys?: number
  /** The clock, in integer microseconds; monotonic by default. Inject one in tests. */
  clock?: ClockUs
}

const MEMORY_STORE_OPTIONS = optionNames<MemoryStoreOptions>({ maxKeys: true, clock: true })

/**
 * Default bound on buckets held by one store: at most ~51 MB with the longest keys, ~12 MB with IPv4 keys
 * (measured; see {@link MemoryStore}).
 */
export const DEFAULT_MAX_KEYS = 100_000

/** How many of the least recently used buckets each call checks for being full, so idle keys leave. */
const SWEEP_PER_CALL = 2
/** How many of the least recently used buckets an eviction looks through for a full one. */
const EVICTION_SCAN = 16

/**
 * Keeps buckets in this process. Exact for one process; each process has its own buckets.
 *
 * Every decision costs O(1), whatever keys came and went before: buckets sit in a linked list from least
 * to most recently used, so sweeping and evicting look at its head and never walk deleted entries.
 *
 * Memory, measured on Node 20 (`pnpm --filter @spillway/bench memory`: heap and typed arrays after GC,
 * 1 M keys): 96 B per bucket for an IPv4 key under the policy `default`; 272 B for the longest key a
 * store is given (128 characters: longer keys are hashed to 51) under a 64-character policy name; 464 B
 * when those 128 characters are outside Latin-1 (2 bytes each). After a flood of 3 × `maxKeys` keys,
 * deleted entries can double the size of the key table: 491–508 B per bucket at worst, so one store holds
 * at most about `maxKeys × 510 B` — 51 MB at the default 100 000 (12 MB with IPv4 keys). The bound is
 * per store: `rateLimit` makes one store per call (per policy in Fastify) unless you pass one `store`
 * to all of them, and the bound of a process is the sum over its stores.
 *
 * @example
 * ```ts
 * const limiter = createLimiter({ capacity: 10, refillRate: 1, store: new MemoryStore() })
 * ```
 */
export class MemoryStore implements Store {
  readonly name = 'memory'
  /** Store key (namespaced by the limiter) → slot in {@link slots}. Entries are never re-set, only added and deleted. */
  private readonly slotByKey = new Map<string, number>()
  private readonly slots: LruSlots
  private readonly maxKeys: number
  private readonly clock: ClockUs
  /** Blocks of policies with `blockDuration`, by store key. */
  private readonly blocks: BlockBook

  constructor(options: MemoryStoreOptions = {}) {
    requireObject(options, 'MemoryStore options')
    rejectUnknownOptions(options, MEMORY_STORE_OPTIONS, 'MemoryStore.')
    this.maxKeys =
      options.maxKeys === undefined ? DEFAULT_MAX_KEYS : requirePositiveInteger(options.maxKeys, 'MemoryStore.maxKeys')
    this.clock = optionalFunction<ClockUs>(options.clock, 'MemoryStore.clock') ?? monotonicClockUs
    // One more than the bound: a new bucket is added before the eviction it causes.
    this.slots = new LruSlots(this.maxKeys + 1)
    this.blocks = new BlockBook(this.maxKeys)
  }

  /** Number of buckets held now (full ones may linger until swept). */
  get size(): number {
    return this.slotByKey.size
  }

  consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    return Promise.resolve(this.consumeSync(key, policy, cost))
  }

  /**
   * The same step as {@link consume}, answered synchronously: for callers that decide outside a
   * request and want no promise (the key is namespaced by the caller, see `storeKey`).
   *
   * @example
   * ```ts
   * const step = store.consumeSync(storeKey(policy.name, 'user:42'), policy, 1)
   * ```
   */
  consumeSync(key: string, policy: Policy, cost: number): StepResult {
    const nowUs = readClock(this.clock)
    const slot = this.slotByKey.get(key)
    const tatUs = slot === undefined ? undefined : this.slots.tatUs(slot)
    const step = policy.block
      ? this.stepBlocked(key, policy, { tatUs, nowUs, cost })
      : stepBucket(policy, { tatUs, nowUs, cost })
    if (step.tatUs > nowUs) this.keep(key, slot, step.tatUs)
    else if (slot !== undefined) this.forget(slot)
    this.sweep(nowUs)
    return step
  }

  /** A step of a policy with `blockDuration`: its block is checked and started here, exactly (see `stepBlockedBucket`). */
  private stepBlocked(key: string, policy: Policy, input: { tatUs: number | undefined; nowUs: number; cost: number }) {
    const block = policy.block as NonNullable<Policy['block']>
    const step = stepBlockedBucket(policy, block, { ...input, record: this.blocks.get(key, input.nowUs) })
    if (step.newBlock) this.blocks.set(key, step.newBlock, block, input.nowUs)
    return step
  }

  consumeAll(steps: readonly ConsumeStep[]): Promise<StepResult[]> {
    return Promise.resolve(this.consumeAllSync(steps))
  }

  /**
   * Several buckets decided together, synchronously: all take their cost, or none does (and held steps
   * are given back). See `Store.consumeAll`.
   *
   * @example
   * ```ts
   * const [global, login] = store.consumeAllSync([
   *   { key: storeKey('global', ip), policy: global, cost: 1 },
   *   { key: storeKey('login', ip), policy: login, cost: 1 },
   * ])
   * ```
   */
  consumeAllSync(steps: readonly ConsumeStep[]): StepResult[] {
    const nowUs = readClock(this.clock)
    const tatOf = (key: string) => {
      const slot = this.slotByKey.get(key)
      return slot === undefined ? undefined : this.slots.tatUs(slot)
    }
    const decided = decideTogetherAt(steps, nowUs, tatOf).steps
    const last = new Map<string, number>()
    decided.forEach((step, index) => {
      last.set((steps[index] as ConsumeStep).key, step.tatUs)
    })
    for (const [key, tatUs] of last) {
      const slot = this.slotByKey.get(key)
      if (tatUs > nowUs) this.keep(key, slot, tatUs)
      else if (slot !== undefined) this.forget(slot)
    }
    this.sweep(nowUs)
    return decided.map(({ allowed, debtUs }) => ({ allowed, debtUs }))
  }

  peek(key: string, policy: Policy): Promise<StepResult> {
    return Promise.resolve(this.peekSync(key, policy))
  }

  /**
   * The bucket's state now, without taking anything or making it the most recently used.
   *
   * @example
   * ```ts
   * const { debtUs } = store.peekSync(storeKey(policy.name, 'user:42'), policy)
   * ```
   */
  peekSync(key: string, policy: Policy): StepResult {
    const slot = this.slotByKey.get(key)
    return peekBucket(policy, {
      tatUs: slot === undefined ? undefined : this.slots.tatUs(slot),
      nowUs: readClock(this.clock),
    })
  }

  reset(key: string, policy: Policy): Promise<void> {
    this.resetSync(key, policy)
    return Promise.resolve()
  }

  /**
   * Forgets the bucket at `key`: it is full again.
   *
   * @example
   * ```ts
   * store.resetSync(storeKey(policy.name, 'user:42'), policy)
   * ```
   */
  resetSync(key: string, _policy: Policy): void {
    const slot = this.slotByKey.get(key)
    if (slot !== undefined) this.forget(slot)
    this.blocks.delete(key)
  }

  refund(key: string, policy: Policy, tokens: number): Promise<StepResult> {
    return Promise.resolve(this.refundSync(key, policy, tokens))
  }

  /**
   * Gives `tokens` back to the bucket at `key`, never above its capacity; answers its state after.
   *
   * @example
   * ```ts
   * store.refundSync(storeKey(policy.name, 'user:42'), policy, 1)
   * ```
   */
  refundSync(key: string, policy: Policy, tokens: number): StepResult {
    const nowUs = readClock(this.clock)
    const slot = this.slotByKey.get(key)
    if (slot === undefined) return { allowed: true, debtUs: 0 }
    const step = refundBucket(policy, { tatUs: this.slots.tatUs(slot), nowUs, tokens })
    if (step.tatUs > nowUs) this.slots.update(slot, step.tatUs)
    else this.forget(slot)
    return { allowed: step.allowed, debtUs: step.debtUs }
  }

  /** Forgets every bucket. */
  clear(): void {
    this.slotByKey.clear()
    this.slots.clear()
    this.blocks.clear()
  }

  close(): Promise<void> {
    this.clear()
    return Promise.resolve()
  }

  /** Stores the bucket's new time and makes it the most recently used. */
  private keep(key: string, slot: number | undefined, tatUs: number): void {
    if (slot === undefined) this.slotByKey.set(key, this.slots.add(key, tatUs))
    else this.slots.update(slot, tatUs)
  }

  private forget(slot: number): void {
    this.slotByKey.delete(this.slots.key(slot))
    this.slots.remove(slot)
  }

  /** Drops the oldest buckets that are full by now, then evicts beyond the bound (see {@link evictOne}). */
  private sweep(nowUs: number): void {
    let slot = this.slots.head
    for (let checked = 0; checked < SWEEP_PER_CALL && slot !== NO_SLOT; checked++) {
      const next = this.slots.next(slot)
      if (this.slots.tatUs(slot) <= nowUs) this.forget(slot)
      slot = next
    }
    while (this.slotByKey.size > this.maxKeys) this.evictOne(nowUs)
  }

  /**
   * Forgets a full bucket among the least recently used ones if there is one (no accuracy lost),
   * else the least recently used bucket (that key's bucket resets to full).
   */
  private evictOne(nowUs: number): void {
    let victim = this.slots.head
    let slot = victim
    for (let examined = 0; examined < EVICTION_SCAN && slot !== NO_SLOT; examined++) {
      if (this.slots.tatUs(slot) <= nowUs) {
        victim = slot
        break
      }
      slot = this.slots.next(slot)
    }
    this.forget(victim)
  }
}

function readClock(clock: ClockUs): number {
  const nowUs = clock()
  if (!Number.isFinite(nowUs)) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'MemoryStore.clock', nowUs, 'must return finite µs')
  }
  return nowUs
}
