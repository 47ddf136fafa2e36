// Several policies of one request decided as one: what an adapter that knows a route's whole chain calls.
import type { RawResponse } from './count-by-outcome.js'
import type { LimitOutcome } from './limit-outcome.js'
import { type Prepared, prepareRequest, type RateLimitHolder, type RequestLimiter } from './rate-limit.js'
import { holdsOf } from './request-holds.js'
import { isPromiseLike, type MaybePromise, SKIPPED } from './request-outcome.js'
import { decidePolicies, type ReadyPolicy } from './stack-decision.js'

/** The policies of a route, decided together. */
export interface PolicyStack<Req> {
  /** True when a policy of the stack reads the client address (see `RequestLimiter.readsAddress`). */
  readonly readsAddress: boolean
  /**
   * Decides one request under every policy, all-or-nothing; never throws or rejects. Answers one outcome
   * per policy, in order: set every outcome's headers (merged), record each, then send the first rejection
   * if there is one, else go on. A `failed` outcome (a failure configured to pass on) comes before any
   * decision, and nothing was taken. Synchronous when every step is (in-process stores). `raw` is the Node
   * response, watched while a request waits under `maxWait` (which applies to a stack of one policy, or
   * one with a `blockDuration` policy: see docs/options.md#maxwait). `holder`: as for `RequestLimiter.check`.
   */
  check(
    request: Req,
    clientAddress: string | undefined,
    raw?: RawResponse,
    holder?: RateLimitHolder,
  ): MaybePromise<LimitOutcome[]>
}

/** One request through a stack: what every policy's steps and the decision need. */
interface StackCall<Req> {
  readonly request: Req
  readonly address: string | undefined
  readonly raw: RawResponse | undefined
  readonly holder: RateLimitHolder | undefined
}

/**
 * The policies `limiters` (an app-wide one, then a route's…) as one all-or-nothing decision: each runs its
 * skip, key and cost steps, then their buckets are decided together — when one policy rejects, no policy
 * keeps any token (one Redis script over the keys of one store and hash slot, one synchronous step in
 * memory; see docs/design.md for stores and slots that cannot). The rejection names every policy that
 * rejected; each policy's headers state its bucket after the decision.
 *
 * @example
 * ```ts
 * const stack = createPolicyStack([appWide, route])
 * const outcomes = await stack.check(request, request.ip)
 * ```
 */
export function createPolicyStack<Req>(limiters: readonly RequestLimiter<Req>[]): PolicyStack<Req> {
  const readsAddress = limiters.some((limiter) => limiter.readsAddress)
  if (limiters.length === 1) {
    const only = limiters[0] as RequestLimiter<Req>
    return { readsAddress, check: (request, address, raw, holder) => one(only.check(request, address, raw, holder)) }
  }
  return {
    readsAddress,
    check: (request, address, raw, holder) => prepareFrom(limiters, 0, [], { request, address, raw, holder }),
  }
}

function one(outcome: MaybePromise<LimitOutcome>): MaybePromise<LimitOutcome[]> {
  return isPromiseLike(outcome) ? outcome.then((settled) => [settled]) : [outcome]
}

/** Prepares each policy in order (synchronously while each can), then decides the ready ones together. */
function prepareFrom<Req>(
  limiters: readonly RequestLimiter<Req>[],
  from: number,
  prepared: Prepared<Req>[],
  call: StackCall<Req>,
): MaybePromise<LimitOutcome[]> {
  for (let index = from; index < limiters.length; index++) {
    const next = prepareRequest(limiters[index] as RequestLimiter<Req>, call.request, call.address)
    if (isPromiseLike(next)) {
      return next.then((settled) => {
        prepared.push(settled)
        return prepareFrom(limiters, index + 1, prepared, call)
      })
    }
    prepared.push(next)
  }
  return decidePrepared(prepared, call)
}

function decidePrepared<Req>(prepared: readonly Prepared<Req>[], call: StackCall<Req>): MaybePromise<LimitOutcome[]> {
  const { request, raw } = call
  const isReady = (entry: Prepared<Req>): entry is ReadyPolicy<Req> => !('kind' in entry)
  // A failure or a rejection before any decision (a 'deny' mode) ends the request: nothing is taken.
  const ended = prepared.some((entry) => !isReady(entry) && (entry.kind === 'failed' || entry.kind === 'rejected'))
  if (ended) return prepared.map((entry) => (isReady(entry) ? SKIPPED : entry))
  const ready = prepared.filter(isReady)
  if (ready.length === 0) return prepared as LimitOutcome[]
  const place = (decided: readonly LimitOutcome[]) => {
    let at = 0
    return prepared.map((entry) => (isReady(entry) ? (decided[at++] as LimitOutcome) : entry))
  }
  const decided = decidePolicies(request, ready, holdsOf(request, call.holder), raw)
  return isPromiseLike(decided) ? decided.then(place) : place(decided)
}
