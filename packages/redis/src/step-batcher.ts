// Collects the decisions of one tick and sends them as one batch script call (per Cluster slot).
import type { Policy, StepResult } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import { keySlot } from './key-slot.js'
import { runScript } from './run-script.js'
import type { ScriptArg, ScriptRunner } from './script-runner.js'
import { parseStep, parseSteps } from './step-reply.js'
import { tokenBucketBatch } from './token-bucket-batch-script.js'
import { tokenBucket } from './token-bucket-script.js'

/** One decision waiting for the end of the tick. */
interface PendingStep {
  readonly key: string
  readonly policyArgs: PolicyArgs
  readonly cost: string
  readonly resolve: (step: StepResult) => void
  readonly reject: (error: unknown) => void
}

/**
 * Queues token bucket steps and flushes them at the end of the tick (`process.nextTick`, never a
 * timer, so a lone decision waits for nothing), or as soon as `maxBatchSize` are queued on a single
 * node. One flush sends one call per group of at most `maxBatchSize` steps: one group on a single
 * node, one per hash slot on a Cluster (a script's keys must share a slot). A group of one uses the
 * single-key script. A failed call rejects each of its steps with the error; nothing is ever resent.
 */
export class StepBatcher {
  readonly #runner: ScriptRunner
  readonly #maxBatchSize: number
  #pending: PendingStep[] = []
  #scheduled = false

  constructor(runner: ScriptRunner, maxBatchSize: number) {
    this.#runner = runner
    this.#maxBatchSize = maxBatchSize
  }

  /** Queues one step of `policy` on `key` (a full Redis key); resolves with its own result. */
  step(key: string, policy: Policy, cost: number): Promise<StepResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ key, policyArgs: policyArgsOf(policy), cost: costArg(cost), resolve, reject })
      if (!this.#runner.isCluster && this.#pending.length >= this.#maxBatchSize) this.#flush()
      else if (!this.#scheduled) {
        this.#scheduled = true
        process.nextTick(this.#flushScheduled)
      }
    })
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false
    this.#flush()
  }

  #flush(): void {
    const pending = this.#pending
    if (pending.length === 0) return
    this.#pending = []
    for (const group of this.#runner.isCluster ? groupBySlot(pending) : [pending]) {
      for (let start = 0; start < group.length; start += this.#maxBatchSize) {
        void send(this.#runner, group.slice(start, start + this.#maxBatchSize))
      }
    }
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

/** Steps in arrival order, split by hash slot (order kept within each slot). */
function groupBySlot(steps: readonly PendingStep[]): PendingStep[][] {
  const bySlot = new Map<number, PendingStep[]>()
  for (const step of steps) {
    const slot = keySlot(step.key)
    const group = bySlot.get(slot)
    if (group === undefined) bySlot.set(slot, [step])
    else group.push(step)
  }
  return [...bySlot.values()]
}

/** One script call for `steps` (one slot); settles each step's promise. */
async function send(runner: ScriptRunner, steps: readonly PendingStep[]): Promise<void> {
  try {
    const results =
      steps.length === 1 ? [await sendOne(runner, steps[0] as PendingStep)] : await sendMany(runner, steps)
    for (let i = 0; i < steps.length; i++) (steps[i] as PendingStep).resolve(results[i] as StepResult)
  } catch (error) {
    for (const step of steps) step.reject(error)
  }
}

async function sendOne(runner: ScriptRunner, step: PendingStep): Promise<StepResult> {
  const args = [step.policyArgs.intervalUs, step.policyArgs.burstUs, step.cost]
  return parseStep(await runScript(runner, tokenBucket, [step.key], args))
}

async function sendMany(runner: ScriptRunner, steps: readonly PendingStep[]): Promise<StepResult[]> {
  const keys: string[] = new Array(steps.length)
  const args: ScriptArg[] = new Array(3 * steps.length)
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as PendingStep
    keys[i] = step.key
    args[3 * i] = step.policyArgs.intervalUs
    args[3 * i + 1] = step.policyArgs.burstUs
    args[3 * i + 2] = step.cost
  }
  return parseSteps(await runScript(runner, tokenBucketBatch, keys, args), steps.length)
}
