// Fastify plugin: an app-wide policy and per-route policies (`config.rateLimit`), checked in onRequest.
import {
  type RateLimitOptions as CoreRateLimitOptions,
  type Decision,
  type RequestBuckets,
  SpillwayConfigError,
} from '@spillway/core'
import {
  createPolicyStack,
  createProxyWarnings,
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

export type { Decision, RequestBuckets }

/** A request the limiter turned away: `decision` is absent when it could not decide (`'deny'` modes, 503). */
export type Rejection = RejectedOutcome

/** One policy: core's options for a `FastifyRequest` (and `FastifyReply`), plus `handler`. Also the shape of `config.rateLimit`. */
export interface RateLimitRouteOptions extends CoreRateLimitOptions<FastifyRequest, FastifyReply> {
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
  | (RateLimitRouteOptions & { global?: true; notFound?: boolean })
  | (Partial<RateLimitRouteOptions> & { global: false; notFound?: false })

/** What `app.rateLimit(options?)` returns: a hook for any route's `onRequest` or `preHandler`. */
export type RateLimitHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A hook for any route's `onRequest` or `preHandler` (or `setNotFoundHandler`'s): with no options the
     * app-wide policy, else a policy of its own that inherits the plugin options (named `hook-1`, `hook-2`…
     * in order of creation unless it has a `name`).
     */
    rateLimit(options?: RateLimitRouteOptions): RateLimitHook
  }
  interface FastifyContextConfig {
    /** A route policy added on top of the app-wide one, or `false` to exempt the route from it. */
    rateLimit?: RateLimitRouteOptions | false
  }
  interface FastifyRequest {
    /** The decision of the last Spillway policy that counted this request. */
    rateLimit?: Decision
    /** Every Spillway bucket that counted this request: `peek()`, `reset()`, `refund()`. */
    rateLimitBuckets?: RequestBuckets
  }
}

type Handler = NonNullable<RateLimitRouteOptions['handler']>
interface Policy {
  readonly limiter: RequestLimiter<FastifyRequest>
  readonly handler: Handler | undefined
}

/** Options the plugin adds to core's, kept complete by the compiler. */
const PLUGIN_OWN_OPTIONS = optionNames<{ handler: unknown; global: unknown; notFound: unknown }>({
  handler: true,
  global: true,
  notFound: true,
})
/** Options Fastify's `register` itself reads; they reach the plugin too. */
const REGISTER_OPTIONS: readonly string[] = ['prefix', 'logLevel', 'logSerializers']

async function spillwayRateLimitPlugin(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const { global, notFound, ...shared } = policyOptions(options)
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
  const checkProxy = proxyCheck(app)
  if (notFound === true) limitNotFound(app, appWide, checkProxy)
  // `as never`: another plugin's augmentation of `rateLimit` (@fastify/rate-limit, in one program) must not clash.
  if (!app.hasDecorator('rateLimit')) app.decorate('rateLimit', hookFactory(shared, appWide, checkProxy) as never)
  if (!app.hasRequestDecorator('rateLimit')) app.decorateRequest('rateLimit', undefined)
  if (!app.hasRequestDecorator('rateLimitBuckets')) app.decorateRequest('rateLimitBuckets', undefined)
  app.addHook('onRoute', function addRateLimitHook(route) {
    const own = route.config?.rateLimit
    if (own === false) return
    const chain = [appWide, own === undefined ? undefined : routePolicyOf(own, route)].filter((p) => p !== undefined)
    if (chain.length === 0) return
    route.onRequest = [...[route.onRequest ?? []].flat(), limitRequests(chain, checkProxy)]
  })
}

/**
 * The plugin. Register it before the routes it should see; options are validated at registration
 * (app-wide) and at route definition (per route), throwing a `SpillwayConfigError`. Stacked policies
 * (app-wide, then the route's) are decided together, all-or-nothing: a request one of them rejects takes
 * no token from any (see docs/design.md, "Several policies on one request").
 *
 * @example
 * ```ts
 * await app.register(rateLimit, { capacity: 100, refillRate: { tokens: 100, per: '1m' } })
 * app.post('/login', { config: { rateLimit: { capacity: 5, refillRate: 5 / 60 } } }, login)
 * app.get('/health', { config: { rateLimit: false } }, health)
 * ```
 */
export const rateLimit = fp(spillwayRateLimitPlugin, { fastify: '5.x', name: '@spillway/fastify' })

/**
 * `notFound: true`: requests that match no route spend the app-wide policy too, so route scanning is
 * throttled (an app-level hook that acts only on `request.is404`).
 */
function limitNotFound(app: FastifyInstance, appWide: Policy | undefined, checkProxy: ProxyCheck): void {
  if (appWide === undefined) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'notFound',
      true,
      'needs the app-wide policy (not global: false); or use setNotFoundHandler({ preHandler: app.rateLimit(options) })',
    )
  }
  const limit = limitRequests([appWide], checkProxy)
  app.addHook('onRequest', function spillwayRateLimitNotFound(request, reply, done) {
    if (request.is404) limit.call(this, request, reply, done)
    else done()
  })
}

/** `app.rateLimit(options?)`: the app-wide policy's hook, or a new policy's that inherits the plugin options. */
function hookFactory(shared: Partial<RateLimitRouteOptions>, appWide: Policy | undefined, checkProxy: ProxyCheck) {
  let created = 0
  return function rateLimitHook(own?: RateLimitRouteOptions): RateLimitHook {
    if (own === undefined) {
      if (appWide) return limitRequests([appWide], checkProxy)
      throw new SpillwayConfigError(
        'ERR_SPILLWAY_MISSING_OPTION',
        'app.rateLimit(options)',
        own,
        'is required when the plugin has no app-wide policy (global: false)',
      )
    }
    requireObject(own, 'app.rateLimit(options)')
    created++
    const named = { name: `hook-${created}`, ...own }
    return limitRequests([buildPolicy(inheritPolicyOptions(shared, named))], checkProxy)
  }
}

type ProxyCheck = (request: FastifyRequest) => void

/**
 * One check per plugin: warns once when Fastify trusts every proxy hop (`trustProxy: true`, read at
 * registration and warned at the first request a policy reading the address sees) or trusts none while
 * requests carry `X-Forwarded-For`.
 */
function proxyCheck(app: FastifyInstance): ProxyCheck {
  const warnings = createProxyWarnings('the @spillway/fastify plugin', 'fastify')
  const trustProxy = trustProxyOf(app)
  const trustsProxy = Boolean(trustProxy)
  return function checkProxySetting(request: FastifyRequest): void {
    if (trustProxy === true) warnings.permissiveTrustProxy()
    else if (!trustsProxy && !warnings.untrustedWarned && request.headers['x-forwarded-for'] !== undefined) {
      warnings.untrustedForwardedFor()
    }
  }
}

/** Fastify's `trustProxy` option: Fastify keeps its options under a symbol of its own, not in `initialConfig`. */
function trustProxyOf(app: FastifyInstance): unknown {
  for (let owner: object | null = app; owner !== null; owner = Object.getPrototypeOf(owner)) {
    const symbol = Object.getOwnPropertySymbols(owner).find((s) => s.description === 'fastify.options')
    if (symbol) return (owner as Record<symbol, { trustProxy?: unknown } | undefined>)[symbol]?.trustProxy
  }
  return undefined
}

/**
 * The onRequest hook of one route: its policies (app-wide, then the route's) decided together,
 * all-or-nothing; every policy's headers are set, and the first rejection answers.
 */
function limitRequests(chain: readonly Policy[], checkProxy: ProxyCheck): onRequestHookHandler & RateLimitHook {
  const stack = createPolicyStack(chain.map((policy) => policy.limiter))
  // The proxy setting decides who is who for a policy keyed by address or with an address allowList.
  const { readsAddress } = stack
  return function spillwayRateLimit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    if (readsAddress) checkProxy(request)
    // The request is its own holder: its holds are found in its own field.
    const outcomes = stack.check(request, readsAddress ? request.ip : undefined, reply.raw, request)
    // In memory the outcomes are there at once: no promise on the hot path.
    if (isPromiseLike(outcomes))
      outcomes.then((settled) => applyOutcomes(chain, settled, { request, reply, done }), done)
    else applyOutcomes(chain, outcomes, { request, reply, done })
  }
}

interface Exchange {
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  readonly done: HookHandlerDoneFunction
}

/** Writes the policies' outcomes: a failure goes to Fastify; else every header, then the first rejection or done(). */
function applyOutcomes(chain: readonly Policy[], outcomes: readonly LimitOutcome[], exchange: Exchange): void {
  const failure = outcomes.find(isFailure)
  if (failure !== undefined) {
    exchange.done(failure.error)
    return
  }
  // Plain loops, no closure: this runs for every request.
  let rejected = -1
  // The reply carries Spillway fields to merge with only after an earlier policy of this request set them
  // (and recorded its decision), here or in another hook: the first policy's fields are set as they are.
  let merge = exchange.request.rateLimit !== undefined
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i] as LimitOutcome
    if (outcome.kind === 'skipped' || outcome.kind === 'failed') continue
    setHeaders(exchange.reply, outcome.headers, merge)
    merge = true
    if (outcome.kind === 'allowed') record(chain[i] as Policy, outcome, exchange)
    else if (rejected === -1) rejected = i
  }
  if (rejected === -1) {
    exchange.done()
    return
  }
  // Rejections are recorded last, so `request.rateLimit` is a rejecting policy's decision.
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i] as LimitOutcome
    if (outcome.kind === 'rejected') record(chain[i] as Policy, outcome, exchange)
  }
  const policy = chain[rejected] as Policy
  reject(exchange, outcomes[rejected] as Rejection, policy.handler)
}

function isFailure(outcome: LimitOutcome): outcome is Extract<LimitOutcome, { kind: 'failed' }> {
  return outcome.kind === 'failed'
}

function record({ limiter }: Policy, outcome: LimitOutcome, { request, reply }: Exchange): void {
  limiter.record(outcome, { holder: request, request, response: reply, raw: reply.raw })
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

/** Sets each field; with `merge`, merged with what an earlier policy set (lists append; see mergeHeaderFields). */
function setHeaders(reply: FastifyReply, fields: readonly HeaderField[], merge: boolean): void {
  // One reader for every response, no closure per request: the merge reads synchronously, before the next.
  replyRead = reply
  const merged = merge ? mergeHeaderFields(fields, readReplyHeader) : fields
  replyRead = undefined
  // Lower-cased names: Fastify lower-cases each name it is given, a new string unless it already is.
  for (const field of merged) reply.header(lowerCaseName(field.name), field.value)
}

let replyRead: FastifyReply | undefined

/** The reply's value of a header; Fastify lower-cases the name first, a copy unless it is lower case already. */
function readReplyHeader(name: string): unknown {
  return (replyRead as FastifyReply).getHeader(lowerCaseName(name))
}

/** Header names Spillway reads and writes (a handful), lower-cased once. */
const lowerCaseNames = new Map<string, string>()

function lowerCaseName(name: string): string {
  let lower = lowerCaseNames.get(name)
  if (lower === undefined) {
    lower = name.toLowerCase()
    if (lowerCaseNames.size < 64) lowerCaseNames.set(name, lower)
  }
  return lower
}

function buildPolicy(options: Partial<RateLimitRouteOptions>): Policy {
  const { handler, rest } = takeHandlerOption(options)
  return { limiter: createRequestLimiter(rest as CoreRateLimitOptions<FastifyRequest, FastifyReply>), handler }
}

/** Rejects unknown names (also with `global: false`, when no policy is built yet) and drops register's own. */
function policyOptions(options: RateLimitOptions): RateLimitOptions {
  const own = Object.fromEntries(Object.entries(options).filter(([name]) => !REGISTER_OPTIONS.includes(name)))
  rejectUnknownOptions(own, [...RATE_LIMIT_OPTION_NAMES, ...PLUGIN_OWN_OPTIONS])
  for (const flag of ['global', 'notFound'] as const) {
    if (own[flag] !== undefined && typeof own[flag] !== 'boolean') {
      throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', flag, own[flag], 'must be true or false')
    }
  }
  return own as RateLimitOptions
}
