// Wait instead of reject: an outcome admitted on credit is held until its tokens are there, or refunded.
import type { RawResponse } from './count-by-outcome.js'
import { publishEvent } from './events.js'
import type { LimitOutcome } from './limit-outcome.js'
import type { ResolvedRateLimit } from './rate-limit-option-types.js'
import { giveBackOnce } from './request-buckets.js'
import { isPromiseLike, report } from './request-outcome.js'
import type { LimitResponse } from './responses.js'
import type { WaitQueue } from './wait-queue.js'

type AllowedOutcome = Extract<LimitOutcome, { kind: 'allowed' }>

/**
 * What a request whose client left while it waited answers: nobody reads it. The status is nginx's
 * "client closed request"; headers are none, and `onLimited` is not called (nothing was limited).
 */
export const CLIENT_CLOSED_RESPONSE: LimitResponse = Object.freeze({
  status: 499,
  contentType: 'text/plain; charset=utf-8',
  body: '',
})

/**
 * Holds an admitted outcome for `decision.waitMs` (see {@link WaitQueue}), then answers it. When `raw`
 * closes first, gives the request's tokens back once (the store's atomic refund) and answers a
 * rejection with {@link CLIENT_CLOSED_RESPONSE}, so the handler does no work for a client that left.
 *
 * @example
 * ```ts
 * if (outcome.kind === 'allowed' && outcome.decision.waitMs) return holdForTokens(options, waits, outcome, { request, raw })
 * ```
 */
export function holdForTokens<Req>(
  options: ResolvedRateLimit<Req>,
  waits: WaitQueue,
  outcome: AllowedOutcome,
  exchange: { readonly request: Req; readonly raw: RawResponse | undefined },
): Promise<LimitOutcome> {
  const { key, cost } = outcome.counted
  const startedMs = performance.now()
  return waits.hold(key, outcome.decision.waitMs ?? 0, exchange.raw).then((released) => {
    const waitedMs = performance.now() - startedMs
    const policy = outcome.decision.policy.name
    publishEvent('wait', () => ({ policy, key, cost, waitedMs, abandoned: !released }))
    if (released) return outcome
    refund(options, outcome, exchange.request)
    return { kind: 'rejected', decision: undefined, headers: [], response: CLIENT_CLOSED_RESPONSE }
  })
}

function refund<Req>(options: ResolvedRateLimit<Req>, outcome: AllowedOutcome, request: Req): void {
  try {
    const pending = giveBackOnce(outcome.counted)
    if (isPromiseLike(pending)) pending.then(undefined, (error: unknown) => report(options, request, 'store', error))
  } catch (error) {
    report(options, request, 'store', error)
  }
}
