// What a remote store said about rejected keys, kept in-process: a blocked or empty key is rejected without a round trip.
import { type BlockRecord, blockLengthUs, MAX_BLOCK_LEVEL } from './block.js'
import { admissionWindowUs } from './bucket.js'
import type { ClockUs } from './clock.js'
import type { Policy, StepResult } from './types.js'

interface Known {
  /** A lower bound of the bucket's tat on the local clock (the store's answer dated when the call was sent). */
  tatUs: number
  /** The key is blocked until then (local clock); 0 when it is not. */
  untilUs: number
  /** Block level, for stores that keep no blocks (the limiter keeps them then); -1 before the first. */
  level: number
  /** When the entry can go. */
  forgetUs: number
}

/** Most keys remembered per limiter; past it the oldest is forgotten (its next request asks the store). */
export const KNOWN_REJECTIONS_SIZE = 16_384

/**
 * The rejections a remote store answered, per store key. Other processes can only take tokens, so a
 * bucket's tat known here is a lower bound of the real one (dated when the call was *sent*): rejecting
 * on it is never wrong, and an abusive client then costs the store one call per token (none while it is
 * blocked). Resets and refunds made through this limiter forget the key; those made elsewhere (another
 * process) are seen once the time given by the store has passed.
 *
 * A policy with a block asks the store again as soon as the block is over (the store starts the next,
 * longer block). A store that answers no `blockedUs` keeps no blocks: they are kept here then, per process.
 */
export class KnownRejections {
  readonly #known = new Map<string, Known>()
  readonly #policy: Policy
  readonly #clock: ClockUs

  constructor(policy: Policy, clock: ClockUs) {
    this.#policy = policy
    this.#clock = clock
  }

  now(): number {
    return this.#clock()
  }

  /** The step to answer without the store: a rejection, when what is known rejects `cost` at `nowUs`. */
  check(key: string, nowUs: number, cost: number): StepResult | undefined {
    const known = this.#known.get(key)
    if (known === undefined) return undefined
    const policy = this.#policy
    // τ + D: a policy with maxWait admits on credit up to its wait (see admissionWindowUs).
    const windowUs = admissionWindowUs(policy)
    const debtUs = Math.min(Math.max(known.tatUs - nowUs, 0), windowUs)
    if (known.untilUs > nowUs) return { allowed: false, debtUs, blockedUs: known.untilUs - nowUs }
    if (policy.block === undefined && debtUs + cost * policy.emissionIntervalUs > windowUs) {
      return { allowed: false, debtUs }
    }
    if (known.forgetUs <= nowUs) this.#known.delete(key)
    return undefined
  }

  /**
   * Learns from the store's answer to a call sent at `sentUs`. Answers the step to decide on: the
   * store's, or for a store that keeps no blocks, the same rejection with the block kept here.
   */
  learn(key: string, sentUs: number, step: StepResult, cost: number): StepResult {
    const policy = this.#policy
    if (step.allowed) {
      const known = this.#known.get(key)
      if (known !== undefined && known.level < 0) this.#known.delete(key)
      return step
    }
    const previous = this.#known.get(key)
    const tatUs = step.fallbackPolicy === undefined ? sentUs + step.debtUs : (previous?.tatUs ?? 0)
    const block = policy.block
    if (block === undefined || step.blockedUs !== undefined) {
      const untilUs = sentUs + (step.blockedUs ?? 0)
      const forgetUs = Math.max(tatUs, untilUs)
      this.#remember(key, { tatUs, untilUs, level: -1, forgetUs })
      return step
    }
    if (cost * policy.emissionIntervalUs > policy.burstUs) return step
    // The store keeps no blocks: start one here, a level above the one this process remembers.
    const record: BlockRecord | undefined = previous !== undefined && previous.level >= 0 ? previous : undefined
    const level = record === undefined ? 0 : Math.min(record.level + 1, MAX_BLOCK_LEVEL)
    const lengthUs = blockLengthUs(block, level)
    const untilUs = sentUs + lengthUs
    this.#remember(key, { tatUs, untilUs, level, forgetUs: untilUs + block.maxDurationUs })
    return { ...step, blockedUs: lengthUs }
  }

  /** Forgets `key` (a reset or a refund through this limiter). */
  forget(key: string): void {
    this.#known.delete(key)
  }

  #remember(key: string, known: Known): void {
    this.#known.delete(key)
    this.#known.set(key, known)
    if (this.#known.size > KNOWN_REJECTIONS_SIZE) {
      const oldest = this.#known.keys().next().value
      if (oldest !== undefined) this.#known.delete(oldest)
    }
  }
}
