// Collects the decisions of one tick and sends them as batch script calls (per Cluster slot), keeping Redis busy.
import type { Policy, StepResult } from '@spillway/core'
import { admissionWindowUs } from '@spillway/core/store'
import { FlushSchedule } from './flush-schedule.js'
import { groupBySlot } from './key-slot.js'
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
 * A tick's batch of at least twice this many steps, sent while none of this batcher's calls is in flight,
 * goes out as two calls: Redis runs the second while this process handles the first one's answers (and
 * sends what they lead to), instead of each side waiting for the other. Once split, each answer brings
 * back about half the callers, so two calls stay in flight. Smaller batches go whole: their overlap is
 * short and a call costs both sides a write and a read (the threshold is a judgement, not a measurement).
 */
const MIN_SPLIT_CALL_SIZE = 16

/**
 * Queues token bucket steps and flushes them as {@link FlushSchedule} says (never on a timer), or as soon
 * as `maxBatchSize` are queued on a single node. A flush sends the steps in arrival order as calls of at
 * most `maxBatchSize` steps, of even sizes: on a single node, at least two calls (see
 * {@link MIN_SPLIT_CALL_SIZE}) when none is in flight; on a Cluster one group per hash slot (a script's keys
 * must share a slot). Calls on one connection run in the order sent, so splitting changes no decision. A
 * group of one uses the single-key script. A failed call rejects each of its steps with the error; nothing
 * is ever resent.
 */
export class StepBatcher {
  readonly #runner: ScriptRunner
  readonly #maxBatchSize: number
  #pending: PendingStep[] = []
  readonly #schedule = new FlushSchedule(() => this.#flush())
  /** This batcher's calls sent and not answered yet. */
  #inFlight = 0

  constructor(runner: ScriptRunner, maxBatchSize: number) {
    this.#runner = runner
    this.#maxBatchSize = maxBatchSize
  }

  /** Queues one step of `policy` on `key` (a full Redis key); resolves with its own result. */
  step(key: string, policy: Policy, cost: number): Promise<StepResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ key, policyArgs: policyArgsOf(policy), cost: costArg(cost), resolve, reject })
      if (!this.#runner.isCluster && this.#pending.length >= this.#maxBatchSize) this.#flush()
      else this.#schedule.request(this.#inFlight)
    })
  }

  #flush(): void {
    const pending = this.#pending
    if (pending.length === 0) return
    this.#pending = []
    if (this.#runner.isCluster) {
      for (const group of groupBySlot(pending, (step) => step.key)) this.#sendInCalls(group, 1)
    } else {
      this.#sendInCalls(pending, this.#inFlight === 0 && pending.length >= 2 * MIN_SPLIT_CALL_SIZE ? 2 : 1)
    }
  }

  /** Sends `steps` in order as at least `minCalls` calls of at most `maxBatchSize`, sizes as even as can be. */
  #sendInCalls(steps: PendingStep[], minCalls: number): void {
    const calls = Math.max(minCalls, Math.ceil(steps.length / this.#maxBatchSize))
    if (calls === 1) {
      void this.#send(steps)
      return
    }
    const size = Math.ceil(steps.length / calls)
    for (let start = 0; start < steps.length; start += size) void this.#send(steps.slice(start, start + size))
  }

  /** One script call for `steps` (one slot); settles each step's promise. */
  async #send(steps: readonly PendingStep[]): Promise<void> {
    this.#inFlight++
    let results: StepResult[]
    try {
      results =
        steps.length === 1
          ? [await sendOne(this.#runner, steps[0] as PendingStep)]
          : await sendMany(this.#runner, steps)
    } catch (error) {
      for (const step of steps) step.reject(error)
      return
    } finally {
      this.#inFlight--
    }
    for (let i = 0; i < steps.length; i++) (steps[i] as PendingStep).resolve(results[i] as StepResult)
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

async function sendOne(runner: ScriptRunner, step: PendingStep): Promise<StepResult> {
  const args = [step.policyArgs.intervalUs, step.policyArgs.burstUs, step.cost]
  return parseStep(await runScript(runner, tokenBucket, [step.key], args))
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
