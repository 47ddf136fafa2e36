// The tokens a request holds under earlier policies (an app-wide middleware before a route's), until it is decided.
import type { RateLimitHolder } from './rate-limit.js'
import { type CountedRequest, countsIn, RequestBuckets } from './request-buckets.js'

/**
 * One earlier policy's admission of a request, which a later policy gives back if it rejects the request:
 * an admitted count, not yet given back, of a policy without `blockDuration` (those decide alone).
 */
export type Hold = CountedRequest

/**
 * Holds are the admitted counts in the holder's `RequestBuckets`, which the request has anyway. The built-in
 * adapters pass the holder to `check`, where a later policy finds them. An adapter that does not, and whose
 * request is not its own holder, gets a link from the request to its buckets under this symbol.
 */
const BUCKETS = Symbol('spillway.buckets')

interface LinkedRequest {
  [BUCKETS]?: RequestBuckets
}

/** Links of requests that take no property (frozen objects a custom adapter passes): the rare case. */
const bucketsOfSealed = new WeakMap<object, RequestBuckets>()

/**
 * Makes the holds in `buckets` (its holder's `rateLimitBuckets`) findable from `request` when a later
 * policy's `check` will not be given the holder.
 */
export function linkHolds(
  buckets: RequestBuckets,
  exchange: { request: unknown; holder: RateLimitHolder; holderPassedToCheck?: boolean | undefined },
): void {
  const { request, holder } = exchange
  if (request === holder || exchange.holderPassedToCheck === true) return
  if (typeof request !== 'object' || request === null) return
  if (Object.isExtensible(request)) (request as LinkedRequest)[BUCKETS] = buckets
  else bucketsOfSealed.set(request, buckets)
}

/**
 * The tokens a request still holds (admitted and neither refunded nor reset since): none for most requests.
 * With the `holder` an adapter passed to `check`, one read of its field; else the request's link.
 */
export function holdsOf(request: unknown, holder: RateLimitHolder | undefined): readonly Hold[] {
  return holdsInBuckets(holder === undefined ? bucketsOf(request) : bucketsIn(holder))
}

/**
 * The holder's `rateLimitBuckets` if Spillway made it (anything else written there is not a request's counts).
 * An own field only, as Spillway sets it: reading it absent from Koa's `ctx.state` (before the request's first
 * policy) cost 0.2 µs more per request than asking `hasOwn` first, measured.
 */
export function bucketsIn(holder: RateLimitHolder): RequestBuckets | undefined {
  const buckets = Object.hasOwn(holder, 'rateLimitBuckets') ? holder.rateLimitBuckets : undefined
  return buckets instanceof RequestBuckets ? buckets : undefined
}

function holdsInBuckets(buckets: RequestBuckets | undefined): readonly Hold[] {
  const counts = buckets === undefined ? undefined : countsIn(buckets)
  if (counts === undefined) return NO_HOLDS
  return counts.filter(isHold)
}

/** True for an admitted count not yet given back, of a policy without `blockDuration` (those decide alone). */
export function isHold(counted: CountedRequest): boolean {
  return counted.admitted && !counted.settled && counted.actions.limiter.policy.block === undefined
}

/** A request's buckets when no holder was passed: its own field if it is its own holder, else its link. */
function bucketsOf(request: unknown): RequestBuckets | undefined {
  if (typeof request !== 'object' || request === null) return undefined
  const own = bucketsIn(request as RateLimitHolder)
  if (own !== undefined) return own
  if (Object.hasOwn(request, BUCKETS)) return (request as LinkedRequest)[BUCKETS]
  return Object.isExtensible(request) ? undefined : bucketsOfSealed.get(request)
}

const NO_HOLDS: readonly Hold[] = Object.freeze([])
