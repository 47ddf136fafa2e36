// Fastify plugin: an app-wide policy and per-route policies (`config.rateLimit`), checked in onRequest.
import { type RateLimitOptions as CoreRateLimitOptions, type Decision, SpillwayConfigError } from '@spillway/core'
import {
  createRequestLimiter,
  type HeaderField,
  inheritPolicyOptions,
  isPromiseLike,
  type LimitOutcome,
  mergeHeaderFields,
  optionNames,
  RATE_LIMIT_OPTION_NAMES,
  type RejectedOutcome,
  type RequestLimiter,
  rejectUnknownOptions,
  requireObject,
  routePolicyName,
  takeHandlerOption,
  validateSharedOptions,
} from '@spillway/core/adapter'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'

export type { Decision }

/** A request the limiter turned away: `decision` is absent when it could not decide (`'deny'` modes, 503). */
export type Rejection = RejectedOutcome

/** One policy: core's options for a `FastifyRequest`, plus `handler`. Also the shape of `config.rateLimit`. */
export interface RateLimitRouteOptions extends CoreRateLimitOptions<FastifyRequest> {
  /**
   * Sends the rejection yourself (`reply.code(…).send(…)`; you must send) instead of core's default
   * response. The RateLimit and `Retry-After` headers are already set.
   */
  handler?: (request: FastifyRequest, reply: FastifyReply, rejection: Rejection) => unknown
}

/**
 * Plugin options: the app-wide policy, or with `global: false` only defaults that route policies inherit.
 * Route policies inherit every option except `capacity`, `refillRate`, `name` and `cost`.
 */
export type RateLimitOptions =
  | (RateLimitRouteOptions & { global?: true })
  | (Partial<RateLimitRouteOptions> & { global: false })

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route policy added on top of the app-wide one, or `false` to exempt the route from it. */
    rateLimit?: RateLimitRouteOptions | false
  }
  interface FastifyRequest {
    /** The decision of the last Spillway policy that counted this request. */
    rateLimit?: Decision
  }
}

type Handler = NonNullable<RateLimitRouteOptions['handler']>
interface Policy {
  readonly limiter: RequestLimiter<FastifyRequest>
  readonly handler: Handler | undefined
}

/** Options the plugin adds to core's, kept complete by the compiler. */
const PLUGIN_OWN_OPTIONS = optionNames<{ handler: unknown; global: unknown }>({ handler: true, global: true })
/** Options Fastify's `register` itself reads; they reach the plugin too. */
const REGISTER_OPTIONS: readonly string[] = ['prefix', 'logLevel', 'logSerializers']

async function spillwayRateLimitPlugin(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const { global, ...shared } = policyOptions(options)
  const appWide = global === false ? undefined : buildPolicy(shared)
  if (global === false) validateSharedOptions(takeHandlerOption(shared).rest)
  // Keyed by the config object, so GET and its automatic HEAD route (same config) share one policy.
  const routePolicies = new WeakMap<object, Policy>()
  const routePolicyOf = (own: RateLimitRouteOptions, route: RouteOptions): Policy => {
    requireObject(own, 'config.rateLimit')
    const named = { name: routePolicyName(route.method, route.url), ...own }
    const policy = routePolicies.get(own) ?? buildPolicy(inheritPolicyOptions(shared, named))
    routePolicies.set(own, policy)
    return policy
  }
  if (!app.hasRequestDecorator('rateLimit')) app.decorateRequest('rateLimit', undefined)
  app.addHook('onRoute', function addRateLimitHook(route) {
    const own = route.config?.rateLimit
    if (own === false) return
    const chain = [appWide, own === undefined ? undefined : routePolicyOf(own, route)].filter((p) => p !== undefined)
    if (chain.length === 0) return
    route.onRequest = [...[route.onRequest ?? []].flat(), limitRequests(chain)]
  })
}

/**
 * The plugin. Register it before the routes it should see; options are validated at registration
 * (app-wide) and at route definition (per route), throwing a `SpillwayConfigError`. Stacked policies
 * (app-wide, then the route's) are consumed one after the other, not atomically.
 *
 * @example
 * ```ts
 * await app.register(rateLimit, { capacity: 100, refillRate: { tokens: 100, per: '1m' } })
 * app.post('/login', { config: { rateLimit: { capacity: 5, refillRate: 5 / 60 } } }, login)
 * app.get('/health', { config: { rateLimit: false } }, health)
 * ```
 */
export const rateLimit = fp(spillwayRateLimitPlugin, { fastify: '5.x', name: '@spillway/fastify' })

/** The onRequest hook of one route: each policy in turn; the first rejection answers. */
function limitRequests(chain: readonly Policy[]): onRequestHookHandler {
  return function spillwayRateLimit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    applyFrom(chain, 0, { request, reply, done })
  }
}

interface Exchange {
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  readonly done: HookHandlerDoneFunction
}

/** Applies the policies from `index` on; synchronous while each outcome is (in memory: no promise at all). */
function applyFrom(chain: readonly Policy[], index: number, exchange: Exchange): void {
  for (let at = index; at < chain.length; at++) {
    const policy = chain[at] as Policy
    const outcome = policy.limiter.check(exchange.request, exchange.request.ip)
    if (isPromiseLike(outcome)) {
      outcome.then((settled) => {
        if (applyOutcome(settled, policy, exchange)) applyFrom(chain, at + 1, exchange)
      }, exchange.done)
      return
    }
    if (!applyOutcome(outcome, policy, exchange)) return
  }
  exchange.done()
}

/** True when the request may go on to the next policy; false when it was answered or failed. */
function applyOutcome(outcome: LimitOutcome, { handler }: Policy, exchange: Exchange): boolean {
  const { request, reply, done } = exchange
  if (outcome.kind === 'failed') {
    done(outcome.error)
    return false
  }
  if (outcome.kind === 'skipped') return true
  setHeaders(reply, outcome.headers)
  if (outcome.decision) request.rateLimit = outcome.decision
  if (outcome.kind === 'allowed') return true
  reject(exchange, outcome, handler)
  return false
}

/** Sends the rejection; a custom handler's throw or rejection goes to Fastify's error handling. */
function reject({ request, reply, done }: Exchange, rejection: Rejection, handler: Handler | undefined): void {
  if (!handler) {
    const { status, contentType, body } = rejection.response
    reply.code(status).type(contentType).send(body)
    return
  }
  try {
    const result = handler(request, reply, rejection)
    if (isPromiseLike(result)) result.then(undefined, done)
  } catch (error) {
    done(error as Error)
  }
}

/** Sets each field, merged with what an earlier policy set (lists append; see mergeHeaderFields). */
function setHeaders(reply: FastifyReply, fields: readonly HeaderField[]): void {
  for (const field of mergeHeaderFields(fields, (name) => reply.getHeader(name))) reply.header(field.name, field.value)
}

function buildPolicy(options: Partial<RateLimitRouteOptions>): Policy {
  const { handler, rest } = takeHandlerOption(options)
  return { limiter: createRequestLimiter(rest as CoreRateLimitOptions<FastifyRequest>), handler }
}

/** Rejects unknown names (also with `global: false`, when no policy is built yet) and drops register's own. */
function policyOptions(options: RateLimitOptions): RateLimitOptions {
  const own = Object.fromEntries(Object.entries(options).filter(([name]) => !REGISTER_OPTIONS.includes(name)))
  rejectUnknownOptions(own, [...RATE_LIMIT_OPTION_NAMES, ...PLUGIN_OWN_OPTIONS])
  if (own.global !== undefined && typeof own.global !== 'boolean') {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'global', own.global, 'must be true or false')
  }
  return own as RateLimitOptions
}
