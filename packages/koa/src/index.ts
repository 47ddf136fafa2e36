// Koa middleware: Koa context in, core's LimitOutcome out as headers, next() or a rejection.
import type { RateLimitOptions as CoreRateLimitOptions, Decision, RequestBuckets } from '@spillway/core'
import {
  createProxyWarnings,
  createRequestLimiter,
  type HeaderField,
  inheritPolicyOptions,
  isPromiseLike,
  type LimitOutcome,
  mergeHeaderFields,
  type RejectedOutcome,
  type RequestLimiter,
  takeHandlerOption,
  validateSharedOptions,
} from '@spillway/core/adapter'
import type { Context, Middleware, Next } from 'koa'

export type { Decision, RequestBuckets }

/** A request the limiter turned away: `decision` is absent when it could not decide (`'deny'` modes, 503). */
export type Rejection = RejectedOutcome

/** Options of {@link rateLimit}: core's options for a Koa `Context` (and its `ctx.response`), plus `handler`. */
export interface RateLimitOptions extends CoreRateLimitOptions<Context, Context['response']> {
  /**
   * Writes the rejection yourself (set `ctx.status` and `ctx.body`) instead of core's default response.
   * The RateLimit and `Retry-After` headers are already set; `rejection.response` holds the default.
   */
  handler?: (ctx: Context, rejection: Rejection) => void | Promise<void>
}

declare module 'koa' {
  interface DefaultState {
    /** The decision of the last Spillway policy that counted this request. */
    rateLimit?: Decision
    /** Every Spillway bucket that counted this request: `peek()`, `reset()`, `refund()`. */
    rateLimitBuckets?: RequestBuckets
  }
}

type Handler = NonNullable<RateLimitOptions['handler']>

/**
 * One middleware for one policy (see {@link rateLimit}). Stacked ones are all-or-nothing: a later one decides
 * together with the tokens earlier ones of the request hold, and gives them back when it rejects.
 */
function createRateLimit(options: RateLimitOptions): Middleware {
  const { handler, rest } = takeHandlerOption(options)
  const limiter = createRequestLimiter<Context, Context['response']>(rest)
  const policy: Policy = { limiter, handler }
  const checkProxy = proxyCheck(limiter)
  const { readsAddress } = limiter
  return function spillwayRateLimit(ctx: Context, next: Next): void | Promise<void> {
    checkProxy?.(ctx)
    const outcome = limiter.check(ctx, readsAddress ? ctx.ip : undefined, ctx.res, ctx.state)
    // In memory the outcome is there at once: no extra promise on the hot path.
    if (!isPromiseLike(outcome)) return applyOutcome(ctx, next, outcome, policy)
    return outcome.then((settled) => applyOutcome(ctx, next, settled, policy))
  }
}

/**
 * Warns once when the app trusts every proxy hop (`proxy: true` without `maxIpsCount`) or trusts none while
 * requests carry the proxy header; only for policies that read the address (key or allowList). Settings are
 * read at the first request.
 */
function proxyCheck(limiter: RequestLimiter<Context>): ((ctx: Context) => void) | undefined {
  if (!limiter.readsAddress) return undefined
  const warnings = createProxyWarnings(`policy "${limiter.policy.name}"`, 'koa')
  let trustsProxy: boolean | undefined
  /** The proxy header as Node keys it (lower case), read with the setting. */
  let proxyHeader = ''
  return function checkProxySetting(ctx: Context): void {
    if (trustsProxy === undefined) {
      const { app } = ctx
      trustsProxy = app.proxy === true
      proxyHeader = app.proxyIpHeader.toLowerCase()
      if (trustsProxy && !(app.maxIpsCount > 0)) warnings.permissiveTrustProxy()
    }
    if (!trustsProxy && !warnings.untrustedWarned && ctx.req.headers[proxyHeader] !== undefined) {
      warnings.untrustedForwardedFor()
    }
  }
}

interface Policy {
  readonly limiter: RequestLimiter<Context>
  readonly handler: Handler | undefined
}

function applyOutcome(
  ctx: Context,
  next: Next,
  outcome: LimitOutcome,
  { limiter, handler }: Policy,
): void | Promise<void> {
  if (outcome.kind === 'failed') return Promise.reject(outcome.error)
  if (outcome.kind === 'skipped') return next()
  // The response carries Spillway fields to merge with only after an earlier policy of this request
  // recorded its decision: the first policy's fields are set as they are, as on Express and Fastify.
  setHeaders(ctx, outcome.headers, ctx.state.rateLimit !== undefined)
  const exchange = { holder: ctx.state, holderPassedToCheck: true, request: ctx, response: ctx.response, raw: ctx.res }
  limiter.record(outcome, exchange)
  if (outcome.kind === 'allowed') return next()
  return reject(ctx, outcome, handler)
}

/** The handler's answer, or core's default 429 (synchronously: no promise for Koa to await). */
function reject(ctx: Context, rejection: Rejection, handler: Handler | undefined): void | Promise<void> {
  if (handler) return handler(ctx, rejection)
  const { status, contentType, body } = rejection.response
  ctx.status = status
  // As ctx.set does in the end (the status setter above has already returned if the headers are out).
  if (!ctx.res.headersSent) ctx.res.setHeader('Content-Type', contentType)
  ctx.body = body
}

/**
 * Sets each field; with `merge`, merged with what an earlier policy set (lists append; see mergeHeaderFields).
 * Straight on `ctx.res`, as `ctx.set` and `ctx.response.get` do in the end (later middleware reads them
 * there) without their per-call delegation and, in Koa 2, a copy of every header per read.
 */
function setHeaders(ctx: Context, fields: readonly HeaderField[], merge: boolean): void {
  const { res } = ctx
  // As ctx.set: nothing once the headers are out (a middleware before this one answered by hand).
  if (res.headersSent) return
  const merged = merge ? mergeHeaderFields(fields, (name) => res.getHeader(name)) : fields
  for (const field of merged) res.setHeader(field.name, field.value)
}

/** `rateLimit`, and `rateLimit.withDefaults(shared)` for policies that share options. */
export interface RateLimit {
  (options: RateLimitOptions): Middleware
  /**
   * A `rateLimit` whose policies inherit `shared` (store, key, headers, hooks, handler, …), as Fastify's
   * route policies inherit the plugin options. `capacity`, `refillRate`, `name` and `cost` define a policy:
   * they are never shared (`ERR_SPILLWAY_POLICY_OPTION_NOT_SHARED`). `shared` is validated now.
   *
   * @example
   * ```ts
   * const limit = rateLimit.withDefaults({ store: new RedisStore({ client }), standardHeaders: 'draft-6' })
   * app.use(limit({ name: 'global', capacity: 100, refillRate: { tokens: 100, per: '1m' } }))
   * ```
   */
  withDefaults(shared: Partial<RateLimitOptions>): (options: RateLimitOptions) => Middleware
}

/**
 * Builds a rate-limiting middleware. Options are validated now: bad ones throw a `SpillwayConfigError`.
 * See {@link RateLimit.withDefaults} for policies that share options.
 *
 * @example
 * ```ts
 * app.use(rateLimit({ capacity: 100, refillRate: { tokens: 100, per: '1m' }, name: 'global' }))
 * ```
 */
export const rateLimit: RateLimit = Object.assign(createRateLimit, {
  withDefaults(shared: Partial<RateLimitOptions>) {
    validateSharedOptions(takeHandlerOption(shared).rest)
    return (options: RateLimitOptions) => createRateLimit(inheritPolicyOptions(shared, options))
  },
})
