// Sends all-or-nothing groups (a request's policies in one slot) to the all-or-nothing script, batched or alone.
import type { ConsumeStep, Policy, StepResult } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import { CallBatcher, type Waiting } from './call-batcher.js'
import { runScript } from './run-script.js'
import type { ScriptArg, ScriptRunner } from './script-runner.js'
import { parseSteps } from './step-reply.js'
import { tokenBucketAll } from './token-bucket-all-script.js'

/** One request's steps in one slot, and their Redis keys. */
export interface AllOrNothingGroup {
  readonly steps: readonly ConsumeStep[]
  readonly keys: readonly string[]
}

/** Decides one group all-or-nothing; resolves each step's result, in order. */
export type GroupDecider = (group: AllOrNothingGroup) => Promise<StepResult[]>

interface PendingGroup extends AllOrNothingGroup, Waiting<StepResult[]> {}

/**
 * How a store decides its all-or-nothing groups. Batched: the groups of concurrent requests share calls of
 * {@link tokenBucketAllScript} as {@link CallBatcher} says (when and how many, per Cluster slot, at most
 * `maxBatchSize` steps each); each group stays all-or-nothing and atomic, and a group sees the writes of
 * the groups before it. Not batched: one call per group.
 *
 * @example
 * ```ts
 * const decide = groupDecider(runner, { batch: true, maxBatchSize: 100 })
 * const [global, login] = await decide({ steps, keys: steps.map((step) => prefix + step.key) })
 * ```
 */
export function groupDecider(
  runner: ScriptRunner,
  options: { readonly batch: boolean; readonly maxBatchSize: number },
): GroupDecider {
  if (!options.batch) return async (group) => (await callGroups(runner, [group]))[0] as StepResult[]
  const calls = new CallBatcher<PendingGroup, StepResult[]>(runner.isCluster, options.maxBatchSize, {
    slotKeyOf: (group) => group.keys[0] as string,
    sizeOf: (group) => group.keys.length,
    call: (groups) => callGroups(runner, groups),
  })
  return (group) => new Promise((resolve, reject) => calls.add({ ...group, resolve, reject }))
}

/** One `EVALSHA` of the all-or-nothing script deciding `groups` in order; each group's results. */
async function callGroups(runner: ScriptRunner, groups: readonly AllOrNothingGroup[]): Promise<StepResult[][]> {
  const keys = groups.flatMap((group) => group.keys)
  const steps = parseSteps(await runScript(runner, tokenBucketAll, keys, scriptArgs(groups)), keys.length)
  const results: StepResult[][] = new Array(groups.length)
  let first = 0
  for (let g = 0; g < groups.length; g++) {
    const count = (groups[g] as AllOrNothingGroup).keys.length
    results[g] = steps.slice(first, first + count)
    first += count
  }
  return results
}

/**
 * The script's arguments: the call's policies (their number, then interval, burst and window of each), then
 * per group its number of steps and per step its policy's number (negative when held) and cost.
 */
function scriptArgs(groups: readonly AllOrNothingGroup[]): ScriptArg[] {
  const policies = new Map<Policy, number>()
  const groupArgs: ScriptArg[] = []
  for (const group of groups) {
    groupArgs.push(group.steps.length)
    for (const step of group.steps) {
      const number = policies.get(step.policy) ?? policies.size + 1
      policies.set(step.policy, number)
      groupArgs.push(step.held ? -number : number, step.cost)
    }
  }
  const args: ScriptArg[] = [policies.size]
  for (const policy of policies.keys()) args.push(policy.emissionIntervalUs, policy.burstUs, admissionWindowUs(policy))
  args.push(...groupArgs)
  return args
}
