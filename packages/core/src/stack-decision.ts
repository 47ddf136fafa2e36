// Decides a request's policies together (all-or-nothing) and turns the results into one outcome per policy.
import { describeDecision } from './bucket.js'
import type { RawResponse } from './count-by-outcome.js'
import { decideEachAlone } from './decide-each-alone.js'
import { decideStack, type StackStep } from './decide-together.js'
import type { PolicyVariant } from './dynamic-policies.js'
import { publishDecision, spillwayChannels } from './events.js'
import { mergeHeaderFields } from './header-merge.js'
import { type HeaderField, rateLimitHeaders } from './headers.js'
import { boundedKey } from './keys.js'
import type { LimitOutcome } from './limit-outcome.js'
import { checkStep } from './limiter.js'
import type { ResolvedRateLimit } from './rate-limit-option-types.js'
import { giveBackOnce } from './request-buckets.js'
import type { Hold } from './request-holds.js'
import { decisionOutcome, failed, isPromiseLike, type MaybePromise } from './request-outcome.js'
import { storeKey } from './store-key.js'
import type { Decision, StepResult } from './types.js'

/** A policy whose skip, key and cost steps are done: what it asks of its bucket. */
export interface ReadyPolicy<Req> {
  readonly options: ResolvedRateLimit<Req>
  /** The policy that decides: the options' own, or the one its capacity/refillRate functions picked. */
  readonly variant: PolicyVariant
  readonly key: string
  readonly cost: number
}

/**
 * One all-or-nothing decision over `ready` (this request's policies not yet decided) and `holds` (tokens
 * earlier policies of the request took): every policy takes its tokens, or none keeps any — the held ones
 * are given back. Answers one outcome per ready policy, in order. A rejection names every policy that
 * rejected (`violated-policies`); when tokens were given back, the first rejected outcome's headers also
 * restate the earlier policies with their state after it, so the response lists every policy consistently.
 *
 * @example
 * ```ts
 * const [global, login] = await decidePolicies(request, [globalReady, loginReady], holdsOf(request, undefined))
 * ```
 */
export function decidePolicies<Req>(
  request: Req,
  ready: readonly ReadyPolicy<Req>[],
  holds: readonly Hold[],
  raw?: RawResponse,
): MaybePromise<LimitOutcome[]> {
  // A policy with blockDuration checks and starts its block in its own step: such stacks are decided one
  // policy at a time (documented: not all-or-nothing).
  if (ready.some(({ variant }) => variant.limiter.policy.block !== undefined)) {
    return decideEachAlone(request, ready, raw)
  }
  const steps: StackStep[] = [...ready.map(stepOf), ...holds.map(heldStepOf)]
  // Timed only while someone listens to decisions.
  const startedMs = spillwayChannels.decision.hasSubscribers ? performance.now() : -1
  const onFailure = (error: unknown) => ready.map(({ options }) => failed(options, request, 'store', error))
  let results: MaybePromise<StepResult[]>
  try {
    results = decideStack(steps)
  } catch (error) {
    return onFailure(error)
  }
  const onResults = (settled: StepResult[]) => {
    try {
      return outcomesOf(request, ready, holds, settled, startedMs)
    } catch (error) {
      return onFailure(error)
    }
  }
  if (!isPromiseLike(results)) return onResults(results)
  return results.then(onResults, onFailure)
}

function stepOf<Req>({ variant, key, cost }: ReadyPolicy<Req>): StackStep {
  const { policy, store } = variant.limiter
  return { store, key: storeKey(policy.name, boundedKey(key)), policy, cost }
}

function heldStepOf({ actions, key, cost }: Hold): StackStep {
  const { policy, store } = actions.limiter
  return { store, key: storeKey(policy.name, boundedKey(key)), policy, cost, held: true }
}

function outcomesOf<Req>(
  request: Req,
  ready: readonly ReadyPolicy<Req>[],
  holds: readonly Hold[],
  results: readonly StepResult[],
  startedMs: number,
): MaybePromise<LimitOutcome[]> {
  const decisions = ready.map(({ variant, cost }, i) => {
    const { policy, store } = variant.limiter
    return describeDecision(policy, checkStep(results[i] as StepResult, store), cost)
  })
  const taken = decisions.every((decision) => decision.allowed)
  const violated = decisions.filter((decision) => !decision.allowed).map((decision) => decision.policy.name)
  if (startedMs >= 0) {
    const latencyMs = performance.now() - startedMs
    ready.forEach(({ key }, i) => {
      publishDecision(key, decisions[i] as Decision, latencyMs, violated)
    })
  }
  const restated = taken ? [] : restate(holds, results.slice(ready.length))
  const outcomes = ready.map(({ options, variant, key }, i) =>
    decisionOutcome(options, request, decisions[i] as Decision, key, variant.actions, { taken, violated }),
  )
  const finish = (settled: LimitOutcome[]) => withRestated(settled, restated)
  if (!outcomes.some(isPromiseLike)) return finish(outcomes as LimitOutcome[])
  return Promise.all(outcomes).then(finish)
}

/** The earlier policies' headers after their tokens were given back; each hold is settled (never given twice). */
function restate(holds: readonly Hold[], results: readonly StepResult[]): HeaderField[][] {
  return holds.map((hold, i) => {
    hold.settled = true
    const state = { ...(results[i] as StepResult), allowed: true }
    return rateLimitHeaders(describeDecision(hold.actions.limiter.policy, state, hold.cost), hold.headers)
  })
}

/** Puts the restated earlier policies in the first rejected outcome's headers, combined with its own. */
function withRestated(outcomes: LimitOutcome[], restated: readonly HeaderField[][]): LimitOutcome[] {
  if (restated.length === 0) return outcomes
  const at = outcomes.findIndex((outcome) => outcome.kind === 'rejected')
  const rejected = outcomes[at]
  if (rejected === undefined || rejected.kind !== 'rejected') return outcomes
  const copy = [...outcomes]
  copy[at] = { ...rejected, headers: combineFields([...restated, rejected.headers]) }
  return copy
}

/** Several policies' fields as one set, each field once, merged by the drafts' rules (see mergeHeaderFields). */
export function combineFields(sets: readonly (readonly HeaderField[])[]): HeaderField[] {
  const fields = new Map<string, HeaderField>()
  const read = (name: string) => fields.get(name)?.value
  for (const set of sets) for (const field of mergeHeaderFields(set, read)) fields.set(field.name, field)
  return [...fields.values()]
}

/**
 * Gives back what earlier policies took when the request is rejected without a decision (a `'deny'`
 * failure mode: 503): the request is turned away, so no policy keeps its tokens. Errors are ignored.
 */
export function releaseHolds(holds: readonly Hold[]): void {
  for (const hold of holds) {
    try {
      const pending = giveBackOnce(hold)
      if (isPromiseLike(pending)) pending.then(undefined, () => {})
    } catch {
      // the store failed: the tokens stay taken
    }
  }
}
