// RedisStore.consumeAll: one all-or-nothing script call per hash slot; across slots, give back what was taken.
import type { ConsumeStep, StepResult } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import type { GroupDecider } from './all-or-nothing-calls.js'
import { refundBucket } from './bucket-admin-scripts.js'
import { groupBySlot } from './key-slot.js'
import { runScript } from './run-script.js'
import type { ScriptRunner } from './script-runner.js'
import { parseStep } from './step-reply.js'

/** What the all-or-nothing decision needs of a store: its client, key prefix and how it sends groups. */
export interface AllOrNothingTarget {
  readonly runner: ScriptRunner
  readonly prefix: string
  readonly decideGroup: GroupDecider
}

/**
 * Decides `steps` all-or-nothing in Redis. On a single node, and on a Cluster when every key is in one
 * slot (the policies of one identity: the `{client key}` hash tag), it is one group of
 * {@link tokenBucketAllScript} (sharing a call with concurrent requests' groups when the store batches):
 * atomic. Keys in several slots (e.g. an app-wide policy per IP and one per API key, on a Cluster) are
 * decided per slot, each group atomic, concurrently; when a slot rejects, the slots that took give their
 * tokens back (`refundBucketScript`), so no policy keeps tokens for a rejected request — but between the
 * two calls other requests see them taken, and a give-back that fails (the node went down) leaves them
 * taken.
 *
 * @example
 * ```ts
 * const [global, login] = await consumeAllInRedis(store, [globalStep, loginStep])
 * ```
 */
export async function consumeAllInRedis(
  target: AllOrNothingTarget,
  steps: readonly ConsumeStep[],
): Promise<StepResult[]> {
  const groups = target.runner.isCluster ? indicesBySlot(target.prefix, steps) : [steps.map((_, index) => index)]
  if (groups.length === 1) return callAll(target, steps)
  const decided = await Promise.allSettled(
    groups.map((group) =>
      callAll(
        target,
        group.map((i) => steps[i] as ConsumeStep),
      ),
    ),
  )
  const results: StepResult[] = new Array(steps.length)
  decided.forEach((outcome, g) => {
    if (outcome.status !== 'fulfilled') return
    ;(groups[g] as number[]).forEach((index, i) => {
      results[index] = outcome.value[i] as StepResult
    })
  })
  const failure = decided.find((outcome) => outcome.status === 'rejected')
  const taken = failure === undefined && results.every((result) => result.allowed)
  if (taken) return results
  const tookGroups = groups.filter((_, g) => {
    const outcome = decided[g] as PromiseSettledResult<StepResult[]>
    return outcome.status === 'fulfilled' && outcome.value.every((result) => result.allowed)
  })
  await Promise.allSettled(
    tookGroups.flat().map((index) => giveBack(target, steps[index] as ConsumeStep, results, index)),
  )
  if (failure?.status === 'rejected') throw failure.reason
  return results
}

/** One all-or-nothing group over steps that share a slot. */
function callAll(target: AllOrNothingTarget, steps: readonly ConsumeStep[]): Promise<StepResult[]> {
  return target.decideGroup({ steps, keys: steps.map((step) => target.prefix + step.key) })
}

/** Gives back a step a slot took (or held) after another slot rejected; its result becomes the state after. */
async function giveBack(target: AllOrNothingTarget, step: ConsumeStep, results: StepResult[], index: number) {
  const args = [step.policy.emissionIntervalUs, admissionWindowUs(step.policy), step.cost]
  const state = parseStep(await runScript(target.runner, refundBucket, [target.prefix + step.key], args))
  results[index] = { allowed: true, debtUs: state.debtUs }
}

/** Step indices grouped by the hash slot of their Redis key, in order. */
function indicesBySlot(prefix: string, steps: readonly ConsumeStep[]): number[][] {
  return groupBySlot(
    steps.map((_, index) => index),
    (index) => prefix + (steps[index] as ConsumeStep).key,
  )
}
