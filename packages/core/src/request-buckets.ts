// The buckets that counted one request: what a handler can read, reset or refund (req.rateLimitBuckets).
import type { HeaderOptions } from './headers.js'
import type { Limiter } from './limiter.js'
import type { Decision, StepResult } from './types.js'

/** What one policy offers the requests it counted: its limiter, and a refund that is synchronous in memory. */
export interface BucketActions {
  readonly limiter: Limiter
  /** Gives `tokens` back to a valid key (not namespaced): synchronous when the store can answer at once. */
  readonly giveBack: (key: string, tokens: number) => StepResult | Promise<StepResult>
}

/** One policy's count of one request. */
export interface CountedRequest {
  readonly actions: BucketActions
  readonly key: string
  readonly cost: number
  /** True when the tokens were taken; a rejected request took nothing and is never refunded. */
  readonly admitted: boolean
  /** How the policy writes its headers: to restate them when a later policy's rejection gives the tokens back. */
  readonly headers: HeaderOptions
  /** Set once the tokens were given back or the bucket reset: nothing is given back twice. */
  settled: boolean
}

/** Every count of the request these buckets counted, in order (request-holds.ts picks its holds from them). */
export let countsIn: (buckets: RequestBuckets) => readonly CountedRequest[] | undefined

/**
 * The buckets that counted this request, one per policy (app-wide and route policies alike), on
 * `req.rateLimitBuckets` (Express), `request.rateLimitBuckets` (Fastify) and `ctx.state.rateLimitBuckets`
 * (Koa). Each method acts on every one of them, with the request's own key.
 *
 * @example
 * ```ts
 * app.post('/login', rateLimit({ name: 'login', capacity: 5, refillRate: { tokens: 5, per: '15m' } }), async (req, res) => {
 *   if (!(await checkPassword(req.body))) return res.status(401).end()
 *   await req.rateLimitBuckets?.reset() // a successful login forgets the failed attempts
 *   res.end()
 * })
 * ```
 */
export class RequestBuckets {
  // The list starts at its first entry: a push onto an empty array reserves room for 17. Its admitted counts
  // are also the request's holds (see request-holds.ts), as nothing else per request is cheap to attach.
  #counted: CountedRequest[] | undefined

  static {
    countsIn = (buckets) => buckets.#counted
  }

  /** Adds one policy's count (adapters call it for every decided outcome). */
  add(counted: CountedRequest): void {
    if (this.#counted === undefined) this.#counted = [counted]
    else this.#counted.push(counted)
  }

  /** Every count so far, in order. */
  get #all(): readonly CountedRequest[] {
    return this.#counted ?? NO_COUNTS
  }

  /**
   * Every bucket as it is now, one decision per policy taking nothing (see `limiter.peek`).
   *
   * @example
   * ```ts
   * const [login] = await req.rateLimitBuckets.peek()
   * ```
   */
  peek(): Promise<Decision[]> {
    return Promise.all(this.#all.map(({ actions, key, cost }) => actions.limiter.peek(key, cost)))
  }

  /**
   * Makes every bucket that counted this request full again (e.g. after a successful login).
   *
   * @example
   * ```ts
   * await ctx.state.rateLimitBuckets?.reset()
   * ```
   */
  async reset(): Promise<void> {
    await Promise.all(
      this.#all.map((counted) => {
        counted.settled = true
        return counted.actions.limiter.reset(counted.key)
      }),
    )
  }

  /**
   * Gives back the tokens this request took, once per bucket: a second call, or the response-outcome
   * options (`skipSuccessfulRequests`, `skipFailedRequests`) after it, give nothing more.
   *
   * @example
   * ```ts
   * if (fromCache) await request.rateLimitBuckets?.refund()
   * ```
   */
  async refund(): Promise<void> {
    await Promise.all(this.#all.map((counted) => giveBackOnce(counted)))
  }
}

const NO_COUNTS: readonly CountedRequest[] = Object.freeze([])

/** Gives an admitted request's tokens back unless that was done already; never twice. */
export function giveBackOnce(counted: CountedRequest): StepResult | Promise<StepResult> | undefined {
  if (!counted.admitted || counted.settled) return undefined
  counted.settled = true
  return counted.actions.giveBack(counted.key, counted.cost)
}
