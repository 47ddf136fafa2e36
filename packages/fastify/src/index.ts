// Fastify plugin: an app-wide policy and per-route policies (`config.rateLimit`), checked in onRequest.
import { type RateLimitOptions as CoreRateLimitOptions, type Decision, SpillwayConfigError } from '@spillway/core'
import {
  createRequestLimiter,
  type HeaderField,
  inheritPolicyOptions,
  mergeHeaderValue,
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
    applyPolicies(chain, request, reply).then((answered) => {
      if (!answered) done()
    }, done)
  }
}

async function applyPolicies(chain: readonly Policy[], request: FastifyRequest, reply: FastifyReply) {
  for (const { limiter, handler } of chain) {
    const outcome = await limiter.check(request, request.ip)
    if (outcome.kind === 'failed') throw outcome.error
    if (outcome.kind === 'skipped') continue
    setHeaders(reply, outcome.headers)
    if (outcome.decision) request.rateLimit = outcome.decision
    if (outcome.kind === 'rejected') {
      await reject(request, reply, outcome, handler)
      return true
    }
  }
  return false
}

async function reject(request: FastifyRequest, reply: FastifyReply, rejection: Rejection, handler?: Handler) {
  if (handler) return handler(request, reply, rejection)
  const { status, contentType, body } = rejection.response
  return reply.code(status).type(contentType).send(body)
}

/** Sets each field, appending list fields to what an earlier policy set. */
function setHeaders(reply: FastifyReply, fields: readonly HeaderField[]): void {
  for (const field of fields) reply.header(field.name, mergeHeaderValue(reply.getHeader(field.name), field))
}

function buildPolicy(options: Partial<RateLimitRouteOptions>): Policy {
  const { handler, rest } = takeHandlerOption(options)
  return { limiter: createRequestLimiter(rest as CoreRateLimitOptions<FastifyRequest>), handler }
}

/** Rejects unknown names (also with `global: false`, when no policy is built yet) and drops register's own. */
function policyOptions(options: RateLimitOptions): RateLimitOptions {
  const own = Object.fromEntries(Object.entries(options).filter(([name]) => !REGISTER_OPTIONS.includes(name)))
  rejectUnknownOptions(own, [...RATE_LIMIT_OPTION_NAMES, 'handler', 'global'])
  if (own.global !== undefined && typeof own.global !== 'boolean') {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'global', own.global, 'must be true or false')
  }
  return own as RateLimitOptions
}
