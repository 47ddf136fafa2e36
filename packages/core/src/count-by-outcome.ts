// Counting by response outcome: watch the Node response once, give the tokens back when its outcome is skipped.
import type { CountByOutcome, ResolvedRateLimit } from './rate-limit-option-types.js'
import { type CountedRequest, giveBackOnce } from './request-buckets.js'
import { isPromiseLike, report } from './request-outcome.js'

/** What Node's `http.ServerResponse` offers for this (Express `res`, Fastify `reply.raw`, Koa `ctx.res`). */
export interface RawResponse {
  readonly statusCode: number
  once(event: 'finish' | 'close' | 'error', listener: () => void): unknown
}

/** One admitted request whose response is watched. */
export interface WatchedExchange<Req> {
  readonly request: Req
  /** The framework's response, handed to `requestWasSuccessful`. */
  readonly response: unknown
  readonly raw: RawResponse
}

/**
 * Calls `onEnd` exactly once: `true` when the response finished, `false` when the connection closed or
 * the stream failed first (a client that went away). `close` follows every `finish`: the first wins.
 */
export function onResponseEnd(raw: RawResponse, onEnd: (finished: boolean) => void): void {
  let ended = false
  const end = (finished: boolean) => () => {
    if (ended) return
    ended = true
    onEnd(finished)
  }
  raw.once('finish', end(true))
  raw.once('close', end(false))
  raw.once('error', end(false))
}

/** Watches an admitted request's response and gives its tokens back once if its outcome is not counted. */
export function refundByOutcome<Req>(
  options: ResolvedRateLimit<Req>,
  count: CountByOutcome<Req>,
  counted: CountedRequest,
  exchange: WatchedExchange<Req>,
): void {
  onResponseEnd(exchange.raw, (finished) => {
    const successful = finished ? wasSuccessful(options, count, exchange) : false
    if (successful === undefined) return
    if (successful ? count.skipSuccessful : count.skipFailed) giveBack(options, counted, exchange.request)
  })
}

/** The user's predicate, or status < 400; `undefined` when the predicate throws (reported; the request stays counted). */
function wasSuccessful<Req>(
  options: ResolvedRateLimit<Req>,
  count: CountByOutcome<Req>,
  { request, response, raw }: WatchedExchange<Req>,
): boolean | undefined {
  if (count.wasSuccessful === undefined) return raw.statusCode < 400
  try {
    return count.wasSuccessful(request, response) === true
  } catch (error) {
    report(options, request, 'hook', error)
    return undefined
  }
}

function giveBack<Req>(options: ResolvedRateLimit<Req>, counted: CountedRequest, request: Req): void {
  try {
    const pending = giveBackOnce(counted)
    if (isPromiseLike(pending)) pending.then(undefined, (error: unknown) => report(options, request, 'store', error))
  } catch (error) {
    report(options, request, 'store', error)
  }
}
