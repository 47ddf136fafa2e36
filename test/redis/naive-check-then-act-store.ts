// NEGATIVE CONTROL, never use it: a non-atomic GET / compute in JS / SET store that the race test must catch.
import type { Policy, StepResult, Store } from '@spillway/core'
import { stepBucket } from '@spillway/core/store'
import type { Redis } from 'ioredis'

/**
 * The classic check-then-act bug, kept on purpose: it reads the bucket, decides with the app server's
 * clock and writes the result back in a second command. Concurrent callers read the same state and all
 * spend the same tokens. The race test runs it to show that the test can fail.
 *
 * @example
 * ```ts
 * const broken = new NaiveCheckThenActStore(client, 'race:') // over-admits under concurrency
 * ```
 */
export class NaiveCheckThenActStore implements Store {
  readonly name = 'naive-check-then-act'

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}

  async consume(key: string, policy: Policy, cost: number): Promise<StepResult> {
    const redisKey = `${this.prefix}${key}`
    const stored = await this.client.get(redisKey)
    const nowUs = Date.now() * 1000
    const step = stepBucket(policy, { tatUs: stored === null ? undefined : Number(stored), nowUs, cost })
    if (step.allowed) {
      await this.client.set(redisKey, String(step.tatUs), 'PX', Math.ceil(step.debtUs / 1000) + 1)
    }
    return { allowed: step.allowed, debtUs: step.debtUs }
  }
}
