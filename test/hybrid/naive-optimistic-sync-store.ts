// NEGATIVE CONTROL, never use it: optimistic sync (decide on a cached copy, push hits later) that the bound test must catch.
import type { Policy, StepResult, Store } from '@spillway/core'
import { monotonicClockUs, stepBucket } from '@spillway/core/store'
import type { Redis } from 'ioredis'

/**
 * Pushes `ARGV[1]` hits into the bucket (`tat ← max(tat, now) + hits·T`, at most `now + τ`) and returns
 * the bucket's debt `tat − now`: the "sync" of gubernator GLOBAL / bucket4j's delayed sync.
 */
const PUSH_HITS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local burst = tonumber(ARGV[3])
tat = math.min(math.max(tat, now) + tonumber(ARGV[1]) * tonumber(ARGV[2]), now + burst)
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', string.format('%.0f', math.ceil((tat - now) / 1000) + 1))
return string.format('%.0f', tat - now)
`

/** One key's cached copy of the global bucket and the hits not yet pushed. */
interface CachedBucket {
  tatUs: number | undefined
  hits: number
  readonly policy: Policy
}

/**
 * The *optimistic sync* family, kept on purpose as the bound test's negative control: every process
 * decides on its own cached copy of the global bucket and pushes its hits every `syncIntervalMs`,
 * then copies the global state back. While copies are stale, every process spends the same tokens:
 * the fleet admits up to N·(B + R·S) per staleness window S, growing with N.
 *
 * @example
 * ```ts
 * const broken = new NaiveOptimisticSyncStore(client, 'bound:', 500) // over-admits with N > 1
 * ```
 */
export class NaiveOptimisticSyncStore implements Store {
  readonly name = 'naive-optimistic-sync'
  readonly #buckets = new Map<string, CachedBucket>()
  readonly #timer: ReturnType<typeof setInterval>

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    syncIntervalMs: number,
  ) {
    this.#timer = setInterval(() => void this.#sync(), syncIntervalMs)
  }

  consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    const bucket = this.#buckets.get(key) ?? { tatUs: undefined, hits: 0, policy }
    this.#buckets.set(key, bucket)
    const step = stepBucket(policy, { tatUs: bucket.tatUs, nowUs: monotonicClockUs(), cost })
    bucket.tatUs = step.tatUs
    if (step.allowed) bucket.hits += cost
    return Promise.resolve({ allowed: step.allowed, debtUs: step.debtUs })
  }

  async #sync(): Promise<void> {
    for (const [key, bucket] of this.#buckets) {
      const hits = bucket.hits
      bucket.hits = 0
      const { emissionIntervalUs, burstUs } = bucket.policy
      const debtUs = Number(await this.client.eval(PUSH_HITS, 1, this.prefix + key, hits, emissionIntervalUs, burstUs))
      bucket.tatUs = monotonicClockUs() + debtUs
    }
  }

  close(): Promise<void> {
    clearInterval(this.#timer)
    return Promise.resolve()
  }
}
