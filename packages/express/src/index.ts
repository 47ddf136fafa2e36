// Express middleware: Express request in, core's LimitOutcome out as headers, next() or a rejection.

import { IncomingMessage } from 'node:http'
import type { RateLimitOptions as CoreRateLimitOptions, Decision, RequestBuckets } from '@spillway/core'
import {
  createProxyWarnings,
  createRequestLimiter,
  type HeaderField,
  inheritPolicyOptions,
  isPromiseLike,
  type LimitOutcome,
  mergeHeaderFields,
  type RateLimitHolder,
  type RejectedOutcome,
  type RequestLimiter,
  takeHandlerOption,
  validateSharedOptions,
} from '@spillway/core/adapter'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

export type { Decision, RequestBuckets }

/** A request the limiter turned away: `decision` is absent when it could not decide (`'deny'` modes, 503). */
export type Rejection = RejectedOutcome

/** Options of {@link rateLimit}: core's options for an Express `Request` (and `Response`), plus `handler`. */
export interface RateLimitOptions extends CoreRateLimitOptions<Request, Response> {
  /**
   * Writes the rejection yourself instead of core's default response. The RateLimit and `Retry-After`
   * headers are already set; `rejection.response` holds what would have been sent.
   */
  handler?: (req: Request, res: Response, next: NextFunction, rejection: Rejection) => void | Promise<void>
}

declare global {
  namespace Express {
    interface Request {
      /** The decision of the last Spillway policy that counted this request. */
      rateLimit?: Decision
      /** Every Spillway bucket that counted this request: `peek()`, `reset()`, `refund()`. */
      rateLimitBuckets?: RequestBuckets
    }
  }
}

type Handler = NonNullable<RateLimitOptions['handler']>

/**
 * One middleware for one policy (see {@link rateLimit}). Stacked ones are all-or-nothing: a later one decides
 * together with the tokens earlier ones of the request hold, and gives them back when it rejects.
 */
function createRateLimit(options: RateLimitOptions): RequestHandler {
  const { handler, rest } = takeHandlerOption(options)
  const limiter = createRequestLimiter<Request, Response>(rest)
  const checkProxy = proxyCheck(limiter)
  const { readsAddress } = limiter
  return function spillwayRateLimit(req: Request, res: Response, next: NextFunction): void {
    checkProxy?.(req)
    const holder = holderOf(req)
    const outcome = limiter.check(req, readsAddress ? req.ip : undefined, res, holder)
    // In memory the outcome is there at once: no promise on the hot path.
    if (isPromiseLike(outcome))
      outcome.then((settled) => applyOutcome(settled, { req, res, next, handler, limiter, holder }), next)
    else applyOutcome(outcome, { req, res, next, handler, limiter, holder })
  }
}

/** How often (in requests of one policy) the untrusted-proxy check reads `X-Forwarded-For`. */
const UNTRUSTED_CHECK_EVERY = 16

/**
 * Warns once when the app trusts every proxy hop (`trust proxy` true) or trusts none while requests carry
 * `X-Forwarded-For`; only for policies that read the address (key or allowList). The setting is read at the
 * first request.
 */
function proxyCheck(limiter: RequestLimiter<Request>): ((req: Request) => void) | undefined {
  if (!limiter.readsAddress) return undefined
  const warnings = createProxyWarnings(`policy "${limiter.policy.name}"`, 'express')
  let trustsProxy: boolean | undefined
  let requests = 0
  return function checkProxySetting(req: Request): void {
    if (trustsProxy === undefined) {
      const setting: unknown = req.app.get('trust proxy')
      trustsProxy = Boolean(setting)
      if (setting === true) warnings.permissiveTrustProxy()
    }
    // One request in UNTRUSTED_CHECK_EVERY is looked at: each read of an Express `req` costs ~0.3 µs (see
    // holderOf), and behind a proxy every request carries the field.
    if (trustsProxy || warnings.untrustedWarned || requests++ % UNTRUSTED_CHECK_EVERY !== 0) return
    if (req.headers['x-forwarded-for'] !== undefined) warnings.untrustedForwardedFor()
  }
}

interface Exchange {
  readonly req: Request
  readonly res: Response
  readonly next: NextFunction
  readonly handler: Handler | undefined
  readonly limiter: RequestLimiter<Request>
  /** Where this request's fields live (see {@link holderOf}). */
  readonly holder: RateLimitHolder
}

function applyOutcome(outcome: LimitOutcome, exchange: Exchange): void {
  const { req, res, next, handler, holder } = exchange
  if (outcome.kind === 'skipped') next()
  else if (outcome.kind === 'failed') next(outcome.error)
  else {
    // The response carries Spillway fields to merge with only after an earlier policy of this request
    // recorded its decision: the first policy's fields are set as they are, without reading `res`.
    setHeaders(res, outcome.headers, holder.rateLimit !== undefined)
    const record = { holder, holderPassedToCheck: true, request: req, response: res, raw: res }
    exchange.limiter.record(outcome, record)
    if (outcome.kind === 'allowed') next()
    else if (handler) callHandler(handler, exchange, outcome)
    else {
      // setHeader, not res.set: the type already names its charset, and send() sets it once more anyway.
      res.status(outcome.response.status).setHeader('Content-Type', outcome.response.contentType)
      res.send(outcome.response.body)
    }
  }
}

/** A custom handler's throw or rejection goes to Express's error handling, never unhandled. */
function callHandler(handler: Handler, { req, res, next }: Exchange, rejection: Rejection): void {
  try {
    const result = handler(req, res, next, rejection)
    if (isPromiseLike(result)) result.then(undefined, next)
  } catch (error) {
    next(error)
  }
}

/**
 * Sets each field; with `merge`, merged with what an earlier policy set (lists append; see mergeHeaderFields).
 * `setHeader` is looked up once: an Express `res` has a hidden class of its own, so every property read is an
 * uncached walk up its prototype chain (the merge, for a request's later policies only, reads more).
 */
function setHeaders(res: Response, fields: readonly HeaderField[], merge: boolean): void {
  const merged = merge ? mergeHeaderFields(fields, (name) => res.getHeader(name)) : fields
  const { setHeader } = res
  for (const field of merged) setHeader.call(res, field.name, field.value)
}

/**
 * Each request's `rateLimit` and `rateLimitBuckets`, kept off the request. Express gives every `req` a hidden
 * class of its own (it changes the prototype), so V8 builds a new one for each property added to it: ~2.7 µs
 * each, measured, against ~0.2 µs for a WeakMap entry. The request reads them through accessors on Express's
 * request prototype (see {@link exposeFields}). One map per process, however many copies of this package
 * are loaded (ESM and CJS): the accessors are defined once, by the first.
 */
const holders = processWide(Symbol.for('spillway.express.holders'), () => new WeakMap<object, RateLimitHolder>())

function processWide<T>(name: symbol, create: () => T): T {
  const registry = globalThis as unknown as Record<symbol, T | undefined>
  registry[name] ??= create()
  return registry[name]
}

function holderOf(req: Request): RateLimitHolder {
  let holder = holders.get(req)
  if (holder === undefined) {
    holder = { rateLimit: undefined, rateLimitBuckets: undefined }
    holders.set(req, holder)
    exposeFields(req)
  }
  return holder
}

const EXPOSED = Symbol('spillway.exposed')

/**
 * Defines `rateLimit` and `rateLimitBuckets` on the prototype every Express request shares (`express.request`,
 * under each app's and sub-app's own), once: reads answer the request's holder, writes (a test, another
 * middleware) go to it. A request that is not an Express one (a mock, a plain `http` server) gets them as
 * its own accessors: nothing is ever defined on `IncomingMessage.prototype` or `Object.prototype`.
 */
function exposeFields(req: Request): void {
  const target = expressRequestPrototype(req) ?? req
  if (Object.hasOwn(target, EXPOSED)) return
  for (const name of ['rateLimit', 'rateLimitBuckets'] as const) {
    Object.defineProperty(target, name, {
      configurable: true,
      get(this: object) {
        return holders.get(this)?.[name]
      },
      set(this: Request, value: never) {
        holderOf(this)[name] = value
      },
    })
  }
  Object.defineProperty(target, EXPOSED, { value: true })
}

/** The prototype of `req` whose own prototype is Node's `IncomingMessage.prototype` (Express's `request`), if any. */
function expressRequestPrototype(req: Request): object | null {
  let proto: object | null = Object.getPrototypeOf(req)
  while (proto !== null && proto !== IncomingMessage.prototype) {
    const parent: object | null = Object.getPrototypeOf(proto)
    if (parent === IncomingMessage.prototype) return proto
    proto = parent
  }
  return null
}

/** `rateLimit`, and `rateLimit.withDefaults(shared)` for policies that share options. */
export interface RateLimit {
  (options: RateLimitOptions): RequestHandler
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
  withDefaults(shared: Partial<RateLimitOptions>): (options: RateLimitOptions) => RequestHandler
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
