// The data that flows between the limiter and its stores.
import type { BlockPolicy } from './block.js'

/**
 * A validated token-bucket policy. Build one with {@link createPolicy}; stores only read it.
 *
 * Time is integer microseconds: `emissionIntervalUs` is the time one token takes to refill
 * (rounded up, so the effective rate never exceeds the configured one) and `burstUs` is the
 * time an empty bucket takes to fill (`capacity × emissionIntervalUs`).
 */
export interface Policy {
  /** Names the policy in headers and separates its key space from other policies'. */
  readonly name: string
  /** B: the most tokens the bucket holds, i.e. the largest burst. */
  readonly capacity: number
  /** R: tokens added per second, continuously, as configured. */
  readonly refillRatePerSecond: number
  /** T = ⌈1 000 000 / R⌉ µs: the time one token takes to refill. */
  readonly emissionIntervalUs: number
  /** τ = B·T µs: the time an empty bucket takes to become full. */
  readonly burstUs: number
  /**
   * D µs (`maxWait`): how far past empty the bucket may go. A request whose tokens will be there within
   * D is admitted at once, on credit (`tat − now ≤ τ + D`), and waits `tat − τ − now` before going on.
   * Absent or 0: a request is admitted only when its tokens are there now. See {@link admissionWindowUs}.
   * Never set together with `block`.
   */
  readonly maxWaitUs?: number
  /**
   * Set with `blockDuration`: a rejected key stays rejected this long. A store that keeps blocks itself
   * (MemoryStore, RedisStore: atomically, in the same script) answers `blockedUs`; for any other store
   * the limiter keeps them in-process.
   */
  readonly block?: BlockPolicy
}

/** The outcome of one attempt to take tokens. All times are relative to the decision, in ms. */
export interface Decision {
  /** True when the tokens were taken and the request may proceed. */
  readonly allowed: boolean
  /** The policy that decided. */
  readonly policy: Policy
  /** Tokens this request asked for. */
  readonly cost: number
  /** The bucket's capacity (B). */
  readonly limit: number
  /** Whole tokens left in the bucket after this decision. */
  readonly remaining: number
  /**
   * Milliseconds until `cost` tokens will be there (rounded up): 0 when allowed, `Infinity` when
   * `cost` exceeds the capacity and can never be admitted.
   */
  readonly retryAfterMs: number
  /** Milliseconds until one more whole token is there (rounded up); 0 when the bucket is full. */
  readonly nextTokenMs: number
  /** Milliseconds until the bucket is full again (rounded up); 0 when it is full. */
  readonly resetMs: number
  /**
   * Milliseconds an admitted request waits before going on (rounded up): its tokens were reserved on
   * credit, under the policy's `maxWait`. Absent when it need not wait. The request pipeline waits by
   * itself; a caller of `limiter.consume` waits this long before doing the work.
   */
  readonly waitMs?: number
  /**
   * `'fallback'` when the remote store could not decide in time and a fallback store decided on this
   * process's share of the policy (see `withFallback`): `remaining` and the times are that share's.
   * Absent when the store decided.
   */
  readonly source?: 'fallback'
  /** Set when the key is blocked (`blockDuration`): ms until the block ends (rounded up). */
  readonly blockedMs?: number
}

/**
 * What a store answers for one step of one bucket: the raw result of the GCRA step, nothing derived.
 * The limiter turns it into the public {@link Decision} (remaining, retry and reset times).
 */
export interface StepResult {
  /** True when the `cost` tokens were there and were taken. */
  readonly allowed: boolean
  /**
   * `max(0, tat − now)` after the step, in µs on the store's clock: how far the bucket is below full
   * (0 = full, `policy.burstUs` = empty, more for a policy with `maxWaitUs`: admitted on credit). An integer.
   */
  readonly debtUs: number
  /**
   * Set by a fallback store that decided on a share of the policy instead (see `withFallback`):
   * `debtUs` is on this policy's scale, and the decision says `source: 'fallback'`.
   */
  readonly fallbackPolicy?: Policy
  /**
   * For a policy with `block`: µs the key stays blocked from now (an integer; 0 or absent when it is not).
   * A store that answers it keeps blocks itself; absent on every step, the limiter keeps them in-process.
   */
  readonly blockedUs?: number
}

/**
 * One bucket of an all-or-nothing decision over several policies ({@link Store.consumeAll}).
 */
export interface ConsumeStep {
  /** The bucket's key, namespaced by the limiter (`<policy name>:{<client key>}`). */
  readonly key: string
  readonly policy: Policy
  /** Tokens to take (a whole number ≥ 1; it may exceed the capacity, which is never admitted). */
  readonly cost: number
  /**
   * True when these `cost` tokens were already taken from this bucket for the same request, by an earlier
   * decision (an app-wide middleware before a route's): the step takes nothing more and always has what it
   * needs; when the decision rejects, the store gives the tokens back in the same atomic step.
   */
  readonly held?: boolean
}

/**
 * Where buckets live: a store does the atomic step and nothing else. It owns its clock (monotonic
 * in-process, Redis `TIME` in Redis) and makes each `consume` atomic: concurrent calls on one key never
 * admit more than the bucket holds.
 *
 * **Keys.** The limiter namespaces every key before a store sees it, with one rule:
 * `<policy name>:{<client key>}` (see {@link storeKey}). Policy names never contain `{`, so no two
 * (policy, client key) pairs share a store key, and the part in braces is the identity: a store that
 * shards (Redis Cluster) keeps all of one identity's buckets together by it. A store may prepend a
 * prefix of its own, and must not otherwise change the key.
 *
 * **Composition.** A store may wrap another store (a time budget, a fallback, a hybrid cache): it is
 * a `Store` itself and forwards what it does not handle.
 *
 * @example
 * ```ts
 * const store: Store = {
 *   name: 'logging',
 *   async consume(key, policy, cost) {
 *     const step = await inner.consume(key, policy, cost)
 *     console.log(key, step.allowed)
 *     return step
 *   },
 * }
 * ```
 */
export interface Store {
  /** A short label for logs and errors, e.g. `memory` or `redis`. */
  readonly name: string
  /**
   * Optional: the same object for every store that reads and writes the same buckets (a `RedisStore`
   * returns one per Redis client and prefix). Limiters use it to catch two different policies sharing
   * one name on those buckets, and one request counted twice by one policy. Default: the store itself.
   */
  readonly keySpace?: object
  /**
   * Optional: true for a store reached over the network (`RedisStore`). Limiters then default to
   * `onStoreError: 'local'`: they wrap it in `resilient()`, so a slow or failing store is decided for
   * in-process, on this process's share of the limit.
   */
  readonly remote?: boolean
  /** Optional: N, the processes sharing this store's buckets (from heartbeats); sizes the local share. */
  fleetSize?(): number
  /**
   * Optional: the failure domain that serves `key` (a Redis Cluster master), so a circuit breaker keeps
   * one circuit per domain and one dead node does not send every key to the fallback.
   */
  partitionOf?(key: string): string
  /**
   * Atomically takes `cost` tokens (a whole number ≥ 1; it may exceed the capacity, which is never
   * admitted) from the bucket at `key` if they are there. Rejects only when the store cannot decide.
   */
  consume(key: string, policy: Policy, cost: number): Promise<StepResult>
  /**
   * Optional: the same step, answered synchronously, for stores that need no I/O (in-process). When a
   * store has it, the limiter uses it and a request is decided without a single promise.
   */
  consumeSync?(key: string, policy: Policy, cost: number): StepResult
  /**
   * Optional: one all-or-nothing decision over several buckets (the policies of one request), as one
   * atomic step: when every step's bucket holds its `cost` tokens, all are taken and every result is
   * `allowed`; otherwise nothing is taken, held steps are given back, and each result says whether its
   * own bucket had the tokens (`debtUs` is then the bucket's state, unchanged or after the give-back).
   * Results are in the order of `steps`. On Redis Cluster the steps of one call should share a hash slot
   * (one identity: the limiter's `{client key}`); a store may take across slots by compensation, and
   * documents it. Without it, the limiter takes each step with `consume` and gives back with `refund`.
   */
  consumeAll?(steps: readonly ConsumeStep[]): Promise<StepResult[]>
  /** Optional: the same all-or-nothing step, answered synchronously (in-process stores). */
  consumeAllSync?(steps: readonly ConsumeStep[]): StepResult[]
  /**
   * Optional: the bucket's state without taking anything: `debtUs` now, `allowed` when one token is
   * there. `limiter.peek` needs it.
   */
  peek?(key: string, policy: Policy): Promise<StepResult>
  /** Optional: forgets the bucket at `key`, which is full again. `limiter.reset` needs it. */
  reset?(key: string, policy: Policy): Promise<void>
  /**
   * Optional: atomically gives `tokens` (a whole number ≥ 1) back to the bucket at `key`:
   * `tat ← max(now, tat − tokens·T)`, never above capacity. Answers the state after it, as `peek` does.
   * `limiter.refund` and the response-outcome options (`skipSuccessfulRequests`…) need it.
   */
  refund?(key: string, policy: Policy, tokens: number): Promise<StepResult>
  /** Optional: the same refund, answered synchronously, for stores that need no I/O (in-process). */
  refundSync?(key: string, policy: Policy, tokens: number): StepResult
  /** Optional: releases timers and connections the store created itself. */
  close?(): Promise<void>
}
