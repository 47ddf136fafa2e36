// A request's policies decided one at a time (a stack with a blockDuration policy): each as it decides alone.
import type { RawResponse } from './count-by-outcome.js'
import { publishDecision, spillwayChannels } from './events.js'
import type { LimitOutcome } from './limit-outcome.js'
import { decisionOutcome, failed, isPromiseLike, type MaybePromise } from './request-outcome.js'
import type { ReadyPolicy } from './stack-decision.js'
import type { Decision } from './types.js'
import { holdForTokens } from './wait-outcome.js'

/**
 * Decides each ready policy on its own (not all-or-nothing: a policy with `blockDuration` checks and
 * starts its block in its own step), publishing each decision. When every policy admitted the request,
 * those admitted on credit (`maxWait`) hold it until their tokens are there, as they would alone; when one
 * rejected, nobody waits for a request that is turned away.
 *
 * @example
 * ```ts
 * const outcomes = await decideEachAlone(request, [globalReady, loginReady], reply.raw)
 * ```
 */
export function decideEachAlone<Req>(
  request: Req,
  ready: readonly ReadyPolicy<Req>[],
  raw: RawResponse | undefined,
): MaybePromise<LimitOutcome[]> {
  const outcomes = ready.map((policy) => decideAlone(request, policy))
  if (!outcomes.some(isPromiseLike)) return holdIfAdmitted(request, ready, outcomes as LimitOutcome[], raw)
  return Promise.all(outcomes).then((settled) => holdIfAdmitted(request, ready, settled, raw))
}

function decideAlone<Req>(request: Req, { options, variant, key, cost }: ReadyPolicy<Req>): MaybePromise<LimitOutcome> {
  const startedMs = spillwayChannels.decision.hasSubscribers ? performance.now() : -1
  const onDecision = (decision: Decision) => {
    if (startedMs >= 0) publishDecision(key, decision, performance.now() - startedMs)
    return decisionOutcome(options, request, decision, key, variant.actions)
  }
  const onFailure = (error: unknown) => failed(options, request, 'store', error)
  try {
    const decision = variant.decide(key, cost)
    return isPromiseLike(decision) ? decision.then(onDecision, onFailure) : onDecision(decision)
  } catch (error) {
    return onFailure(error)
  }
}

/** The outcomes, each admitted-on-credit one held by its policy's wait queue, when all admitted. */
function holdIfAdmitted<Req>(
  request: Req,
  ready: readonly ReadyPolicy<Req>[],
  outcomes: LimitOutcome[],
  raw: RawResponse | undefined,
): MaybePromise<LimitOutcome[]> {
  if (!outcomes.every((outcome) => outcome.kind === 'allowed' || outcome.kind === 'skipped')) return outcomes
  let held = false
  const waited = outcomes.map((outcome, i) => {
    const { waits } = (ready[i] as ReadyPolicy<Req>).options
    if (outcome.kind !== 'allowed' || outcome.decision.waitMs === undefined || waits === undefined) return outcome
    held = true
    return holdForTokens((ready[i] as ReadyPolicy<Req>).options, waits, outcome, { request, raw })
  })
  return held ? Promise.all(waited) : (waited as LimitOutcome[])
}
