// The tokens a request holds under earlier policies (an app-wide middleware before a route's), until it is decided.
import type { HeaderOptions } from './headers.js'
import type { CountedRequest } from './request-buckets.js'
import type { Policy, Store } from './types.js'

/** One earlier policy's admission of a request: what a later policy gives back when it rejects the request. */
export interface Hold {
  readonly counted: CountedRequest
  readonly store: Store
  /** The bucket's key as the store knows it (`<policy>:{<client key>}`). */
  readonly storeKey: string
  readonly policy: Policy
  /** How the earlier policy writes its headers, to restate them after a give-back. */
  readonly headers: HeaderOptions
}

const holdsByRequest = new WeakMap<object, Hold[]>()

/** Records that `request` holds tokens under an earlier policy. */
export function addHold(request: unknown, hold: Hold): void {
  if (typeof request !== 'object' || request === null) return
  const holds = holdsByRequest.get(request)
  if (holds === undefined) holdsByRequest.set(request, [hold])
  else holds.push(hold)
}

/** The tokens `request` still holds (admitted and neither refunded nor reset since): none for most requests. */
export function holdsOf(request: unknown): readonly Hold[] {
  if (typeof request !== 'object' || request === null) return NO_HOLDS
  const holds = holdsByRequest.get(request)
  if (holds === undefined) return NO_HOLDS
  return holds.filter((hold) => hold.counted.admitted && !hold.counted.settled)
}

const NO_HOLDS: readonly Hold[] = Object.freeze([])
