// The in-process store: a bounded Map from key to theoretical arrival time, on a monotonic clock.
import { describeDecision, stepBucket } from './bucket.js'
import { type ClockUs, monotonicClockUs } from './clock.js'
import { SpillwayConfigError } from './errors.js'
import type { ConsumeRequest, Decision, Policy, Store } from './types.js'
import { optionalFunction, rejectUnknownOptions, requireObject, requirePositiveInteger } from './validate.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most buckets kept at once (default 250 000, about 47 MB at ~190 bytes a bucket; see the README). Past
   * it a full bucket among the 16 least recently used is forgotten (no accuracy lost); when none is full,
   * the least recently used bucket is, i.e. reset to full: that key may get up to one extra burst.
   */
  maxKeys?: number
  /** The clock, in integer microseconds; monotonic by default. Inject one in tests. */
  clock?: ClockUs
}

/** Default bound on buckets held in memory. */
export const DEFAULT_MAX_KEYS = 250_000

/** How many of the least recently used buckets each call checks for being full, so idle keys leave. */
const SWEEP_PER_CALL = 2
/** How many of the least recently used buckets an eviction looks through for a full one. */
const EVICTION_SCAN = 16

/**
 * Keeps buckets in this process. Exact for one process; each process has its own buckets.
 *
 * @example
 * ```ts
 * const limiter = createLimiter({ capacity: 10, refillRate: 1, store: new MemoryStore() })
 * ```
 */
export class MemoryStore implements Store {
  readonly name = 'memory'
  private readonly tatByKey = new Map<string, number>()
  private readonly maxKeys: number
  private readonly clock: ClockUs

  constructor(options: MemoryStoreOptions = {}) {
    requireObject(options, 'MemoryStore options')
    rejectUnknownOptions(options, ['maxKeys', 'clock'], 'MemoryStore.')
    this.maxKeys =
      options.maxKeys === undefined ? DEFAULT_MAX_KEYS : requirePositiveInteger(options.maxKeys, 'MemoryStore.maxKeys')
    this.clock = optionalFunction<ClockUs>(options.clock, 'MemoryStore.clock') ?? monotonicClockUs
  }

  /** Number of buckets held now (full ones may linger until swept). */
  get size(): number {
    return this.tatByKey.size
  }

  consume(key: string, policy: Policy, cost: number): Promise<Decision> {
    return Promise.resolve(this.consumeNow(key, policy, cost))
  }

  consumeMany(requests: readonly ConsumeRequest[]): Promise<Decision[]> {
    return Promise.resolve(requests.map((r) => this.consumeNow(r.key, r.policy, r.cost)))
  }

  /** Forgets every bucket. */
  clear(): void {
    this.tatByKey.clear()
  }

  close(): Promise<void> {
    this.clear()
    return Promise.resolve()
  }

  private consumeNow(key: string, policy: Policy, cost: number): Decision {
    const nowUs = readClock(this.clock)
    // Policy names never contain NUL, so the first NUL ends the name: no two (name, key) pairs collide.
    const storeKey = `${policy.name}\0${key}`
    const step = stepBucket(policy, { tatUs: this.tatByKey.get(storeKey), nowUs, cost })
    // Delete then set moves the key to the end of the Map's order: the Map doubles as an LRU list.
    this.tatByKey.delete(storeKey)
    if (step.tatUs > nowUs) this.tatByKey.set(storeKey, step.tatUs)
    this.sweep(nowUs)
    return describeDecision(policy, { allowed: step.allowed, debtUs: step.debtUs, cost })
  }

  /** Drops the oldest buckets that are full by now, then evicts beyond the bound (see {@link evictOne}). */
  private sweep(nowUs: number): void {
    let checked = 0
    for (const [key, tatUs] of this.tatByKey) {
      if (checked++ >= SWEEP_PER_CALL) break
      if (tatUs <= nowUs) this.tatByKey.delete(key)
    }
    while (this.tatByKey.size > this.maxKeys) this.evictOne(nowUs)
  }

  /**
   * Forgets a full bucket among the least recently used ones if there is one (no accuracy lost),
   * else the least recently used bucket (that key's bucket resets to full).
   */
  private evictOne(nowUs: number): void {
    let examined = 0
    for (const [key, tatUs] of this.tatByKey) {
      if (examined++ >= EVICTION_SCAN) break
      if (tatUs <= nowUs) {
        this.tatByKey.delete(key)
        return
      }
    }
    this.tatByKey.delete(this.tatByKey.keys().next().value as string)
  }
}

function readClock(clock: ClockUs): number {
  const nowUs = clock()
  if (!Number.isFinite(nowUs)) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'MemoryStore.clock', nowUs, 'must return finite µs')
  }
  return nowUs
}
