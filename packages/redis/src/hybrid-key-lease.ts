// One key's local state in a HybridStore: its leases and their expiry, its demand, what it owes Redis back.
import type { Policy, StepResult } from '@spillway/core'

/** Tokens taken from Redis, spendable until `expiresAtUs` (monotonic µs): the lease's request time + L. */
interface Lease {
  tokens: number
  readonly expiresAtUs: number
}

/** A decision waiting for the next lease of its key. */
export interface Waiter {
  readonly cost: number
  readonly resolve: (step: StepResult) => void
}

/** What one key asks of the next sync call: tokens to return, and a lease of `want` (at least `need`). */
export interface LeaseRequest {
  readonly returned: number
  readonly want: number
  readonly need: number
}

/**
 * The local side of one bucket. Spending is only ever from unexpired leases; expired leftovers move to
 * `toReturn`, which the next call sends once (and forgets, whatever the call's fate).
 */
export class KeyLease {
  policy: Policy
  readonly #leases: Lease[] = []
  /** Unspent tokens of expired leases, not yet sent back. */
  toReturn = 0
  /** Tokens requested (admitted or not) in the current and the previous sync interval. */
  demandNow = 0
  demandBefore = 0
  waiters: Waiter[] = []
  /** A call carrying this key is on its way: no second one until it settles. */
  inFlight = false
  /** Half of the last lease is spent and demand goes on: ask for the next one now. */
  prefetchDue = false
  /** Added to every retry time after a reply that found the bucket short: spreads the fleet's retries (µs). */
  spreadUs = 0
  lastLeaseSize = 0
  /** The bucket's debt (`tat − now`, this process's leases included) at the last reply, and when. */
  redisDebtUs = 0
  redisDebtAtUs = 0
  /** The local share bucket's tat while Redis is unreachable; `undefined` otherwise. */
  outageTatUs: number | undefined

  constructor(policy: Policy) {
    this.policy = policy
  }

  /** Moves what is left of leases expired at `nowUs` to `toReturn`. */
  expire(nowUs: number): void {
    while (this.#leases.length > 0 && (this.#leases[0] as Lease).expiresAtUs <= nowUs) {
      this.toReturn += (this.#leases.shift() as Lease).tokens
    }
  }

  /** Tokens spendable now (call {@link expire} first). */
  liveTokens(): number {
    let tokens = 0
    for (const lease of this.#leases) tokens += lease.tokens
    return tokens
  }

  /** Spends `cost` tokens, soonest-expiring first; the caller checked that {@link liveTokens} covers it. */
  spend(cost: number): void {
    let left = cost
    while (left > 0) {
      const lease = this.#leases[0] as Lease
      const taken = Math.min(left, lease.tokens)
      lease.tokens -= taken
      left -= taken
      if (lease.tokens === 0) this.#leases.shift()
    }
    if (this.lastLeaseSize >= 2 && 2 * this.liveTokens() < this.lastLeaseSize) this.prefetchDue = true
  }

  /** Adds a granted lease (kept sorted by expiry: a later request expires later). */
  addLease(tokens: number, expiresAtUs: number): void {
    if (tokens <= 0) return
    this.#leases.push({ tokens, expiresAtUs })
    this.#leases.sort((a, b) => a.expiresAtUs - b.expiresAtUs)
    this.lastLeaseSize = tokens
  }

  /** Removes every live token and returns how many (they move into the outage bucket: never sent back). */
  takeAllLive(): number {
    const tokens = this.liveTokens()
    this.#leases.length = 0
    return tokens
  }

  /** Starts a new sync interval for the demand estimate. */
  rollDemand(): void {
    this.demandBefore = this.demandNow
    this.demandNow = 0
  }

  /** Nothing held, owed, wanted or awaited: the entry can be forgotten. */
  isIdle(nowUs: number): boolean {
    return (
      this.demandNow === 0 &&
      this.demandBefore === 0 &&
      this.toReturn === 0 &&
      !this.inFlight &&
      this.waiters.length === 0 &&
      this.#leases.length === 0 &&
      !this.isBlocked(nowUs, 1)
    )
  }

  /**
   * The next call's request for this key, or `undefined` when it needs nothing. Lease size: the demand
   * of one interval (tokens requested in the current or last interval, whichever is more, and at least
   * what is waiting), capped at `maxLease` (⌊B/N⌋), never below `need`.
   */
  nextRequest(maxLease: number, nowUs: number): LeaseRequest | undefined {
    const returned = this.toReturn
    const first = this.waiters[0]
    const live = this.liveTokens()
    let want = 0
    let need = 0
    if (first !== undefined) {
      need = first.cost > this.policy.capacity ? first.cost : Math.max(1, first.cost - live)
      const waiting = this.waiters.reduce((sum, waiter) => sum + waiter.cost, 0) - live
      want = Math.max(need, Math.min(Math.max(this.demandEstimate(), waiting), maxLease))
    } else if (this.prefetchDue && !this.isBlocked(nowUs, 1)) {
      want = Math.max(1, Math.min(this.demandEstimate(), maxLease))
    }
    this.prefetchDue = false
    if (want === 0 && returned === 0) return undefined
    return { returned, want, need }
  }

  demandEstimate(): number {
    return Math.max(this.demandNow, this.demandBefore)
  }

  /**
   * The debt to report with a decision: the bucket's debt at the last reply, refilled since, less the
   * tokens this process still holds (they are as good as in the bucket for this process).
   */
  estimatedDebtUs(nowUs: number): number {
    const { burstUs, emissionIntervalUs } = this.policy
    const refilled = Math.max(0, Math.min(burstUs, this.redisDebtUs) - (nowUs - this.redisDebtAtUs))
    return Math.max(0, refilled - this.liveTokens() * emissionIntervalUs)
  }

  /**
   * When this process will ask Redis again for `cost` tokens it does not hold (monotonic µs): when the
   * bucket, as the last reply left it and refilled since, will have them, plus the spread.
   */
  retryAtUs(cost: number): number {
    const { burstUs, emissionIntervalUs } = this.policy
    const missing = Math.max(0, cost - this.liveTokens())
    return this.redisDebtAtUs + this.spreadUs + this.redisDebtUs + missing * emissionIntervalUs - burstUs
  }

  /** True when Redis cannot have `cost` tokens for this process yet: reject without asking. */
  isBlocked(nowUs: number, cost: number): boolean {
    return cost <= this.policy.capacity && this.retryAtUs(cost) > nowUs
  }

  /** The debt of a local rejection, so that `retryAfter` is when this process will ask Redis again. */
  rejectedDebtUs(nowUs: number, cost: number): number {
    const { burstUs, emissionIntervalUs } = this.policy
    const estimate = this.estimatedDebtUs(nowUs)
    if (!this.isBlocked(nowUs, cost)) return estimate
    const untilRetry = burstUs - cost * emissionIntervalUs + (this.retryAtUs(cost) - nowUs)
    return Math.min(burstUs, Math.max(estimate, untilRetry))
  }
}
