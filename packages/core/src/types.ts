// The data that flows between the limiter and its stores.

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
}

/** One decision of a batch passed to {@link Store.consumeMany}. */
export interface ConsumeRequest {
  readonly key: string
  readonly policy: Policy
  readonly cost: number
}

/**
 * Where buckets live. A store owns its clock (monotonic in-process, Redis `TIME` in Redis) and
 * must make each `consume` atomic: concurrent calls on one key never admit more than the bucket holds.
 *
 * Keys are already namespaced by the limiter; a store may add its own prefix.
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
  /** Atomically takes `cost` tokens from the bucket at `key` if they are there. */
  consume(key: string, policy: Policy, cost: number): Promise<Decision>
  /**
   * Optional: several decisions in one round trip, answered in order. Each is decided on its own;
   * a rejection of one does not undo another.
   */
  consumeMany?(requests: readonly ConsumeRequest[]): Promise<Decision[]>
  /** Optional: releases timers and connections the store created itself. */
  close?(): Promise<void>
}
