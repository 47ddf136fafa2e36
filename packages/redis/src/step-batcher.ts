// Token bucket steps queued by RedisStore and sent as batch script calls (CallBatcher says when and how many).
import type { Policy, StepResult } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import { CallBatcher, type Waiting } from './call-batcher.js'
import { runScript } from './run-script.js'
import type { ScriptArg, ScriptRunner } from './script-runner.js'
import { parseStep, parseSteps } from './step-reply.js'
import { tokenBucketBatch } from './token-bucket-batch-script.js'
import { tokenBucket } from './token-bucket-script.js'

/** One decision waiting for its call. */
interface PendingStep extends Waiting<StepResult> {
  readonly key: string
  readonly policyArgs: PolicyArgs
  readonly cost: string
}

/**
 * Queues token bucket steps and sends them as {@link CallBatcher} says: calls of at most `maxBatchSize`
 * steps of {@link tokenBucketBatchScript}, per Cluster slot. A call of one step uses the single-key script.
 * A failed call rejects each of its steps with the error; nothing is ever resent.
 */
export class StepBatcher {
  readonly #calls: CallBatcher<PendingStep, StepResult>

  constructor(runner: ScriptRunner, maxBatchSize: number) {
    this.#calls = new CallBatcher(runner.isCluster, maxBatchSize, {
      slotKeyOf: keyOf,
      sizeOf: () => 1,
      call: (steps) => (steps.length === 1 ? sendOne(runner, steps[0] as PendingStep) : sendMany(runner, steps)),
    })
  }

  /** Queues one step of `policy` on `key` (a full Redis key); resolves with its own result. */
  step(key: string, policy: Policy, cost: number): Promise<StepResult> {
    return new Promise((resolve, reject) => {
      this.#calls.add({ key, policyArgs: policyArgsOf(policy), cost: costArg(cost), resolve, reject })
    })
  }
}

/** A policy's per-step script arguments, emission interval and burst (µs), as the decimal strings sent. */
interface PolicyArgs {
  readonly intervalUs: string
  readonly burstUs: string
}

const policyArgs = new WeakMap<Policy, PolicyArgs>()

/**
 * Built once per policy (policies are immutable): a batch then converts no numbers. The burst argument
 * is the admission window `τ + D`, so `maxWait` reserves on credit inside the script.
 */
function policyArgsOf(policy: Policy): PolicyArgs {
  let args = policyArgs.get(policy)
  if (args === undefined) {
    args = { intervalUs: String(policy.emissionIntervalUs), burstUs: String(admissionWindowUs(policy)) }
    policyArgs.set(policy, args)
  }
  return args
}

const costArg = (cost: number): string => (cost === 1 ? '1' : String(cost))

async function sendOne(runner: ScriptRunner, step: PendingStep): Promise<StepResult[]> {
  const args = [step.policyArgs.intervalUs, step.policyArgs.burstUs, step.cost]
  return [parseStep(await runScript(runner, tokenBucket, [step.key], args))]
}

async function sendMany(runner: ScriptRunner, steps: readonly PendingStep[]): Promise<StepResult[]> {
  return parseSteps(await runScript(runner, tokenBucketBatch, steps.map(keyOf), batchArgs(steps)), steps.length)
}

const keyOf = (step: PendingStep): string => step.key

/** The batch script's arguments: per run of consecutive steps of one policy, interval, burst, n, n costs. */
function batchArgs(steps: readonly PendingStep[]): ScriptArg[] {
  const args: ScriptArg[] = []
  for (let start = 0; start < steps.length; ) {
    const policy = (steps[start] as PendingStep).policyArgs
    let end = start + 1
    while (end < steps.length && (steps[end] as PendingStep).policyArgs === policy) end++
    args.push(policy.intervalUs, policy.burstUs, end - start)
    for (let i = start; i < end; i++) args.push((steps[i] as PendingStep).cost)
    start = end
  }
  return args
}
