// The per-request path every adapter shares: skip → allow list → key → cost → store, as a chain of named steps.
import { CallbackTimeoutError } from './budget.js'
import { type RawResponse, refundByOutcome, type WatchedExchange } from './count-by-outcome.js'
import { publishEvent, spillwayChannels } from './events.js'
import { ipKey } from './ip-key.js'
import { InvalidRequestInputError, type LimitOutcome } from './limit-outcome.js'
import { countedBefore } from './policy-claims.js'
import { type RateLimitOptions, type ResolvedRateLimit, resolveRateLimitOptions } from './rate-limit-options.js'
import { RequestBuckets } from './request-buckets.js'
import {
  attemptCall,
  decisionOutcome,
  failed,
  isPromiseLike,
  type MaybePromise,
  noClientAddress,
  SKIPPED,
  type StepOutcome,
} from './request-outcome.js'
import type { Decision, Policy } from './types.js'
import { holdForTokens } from './wait-outcome.js'

export {
  InvalidRequestInputError,
  type LimitOutcome,
  RateLimiterError,
  type RejectedOutcome,
} from './limit-outcome.js'
export { CallbackTimeoutError }

/** Decides requests for one policy. Built once per `rateLimit(opts)` call. */
export interface RequestLimiter<Req> {
  readonly policy: Policy
  /** True when the key is the client address (no `key` function): the proxy setting decides who is who. */
  readonly keysByAddress: boolean
  /**
   * Decides one request; never throws or rejects. `clientAddress` is the framework's view of the client
   * IP. Answers synchronously when every step can (an in-process store, sync user functions), so the hot
   * path makes no promise: adapters check for a `then` before awaiting. `raw` is the Node response
   * (Express `res`, Fastify `reply.raw`, Koa `ctx.res`): a request held by `maxWait` whose connection
   * closes gets its tokens back.
   */
  check(request: Req, clientAddress: string | undefined, raw?: RawResponse): MaybePromise<LimitOutcome>
  /**
   * Records a decided outcome on the request: `holder.rateLimit` (the decision) and
   * `holder.rateLimitBuckets` (see {@link RequestBuckets}); for an admitted request of a policy that
   * counts by response outcome, watches `raw` to give the tokens back once. Adapters call it for every
   * `allowed` or `rejected` outcome, with `holder` = Express `req`, Fastify `request`, Koa `ctx.state`.
   */
  record(outcome: LimitOutcome, exchange: RecordExchange<Req>): void
}

/** Where {@link RequestLimiter.record} writes, and the response it may watch. */
export interface RecordExchange<Req> extends WatchedExchange<Req> {
  readonly holder: RateLimitHolder
}

/** The request-side fields Spillway sets: on Express `req`, Fastify `request`, Koa `ctx.state`. */
export interface RateLimitHolder {
  rateLimit?: Decision | undefined
  rateLimitBuckets?: RequestBuckets | undefined
}

/** One request on its way through the steps. */
interface Exchange<Req> {
  readonly request: Req
  readonly address: string | undefined
  readonly raw?: RawResponse | undefined
  key: string
  cost: number
}

/** A step answers `undefined` to go on, or the request's outcome. */
type RequestStep<Req> = (exchange: Exchange<Req>) => MaybePromise<StepOutcome>

/**
 * Validates the options once and returns the shared request pipeline that adapters call. Only the steps
 * the options ask for are in the chain.
 *
 * @example
 * ```ts
 * const limiter = createRequestLimiter<IncomingMessage>({ capacity: 10, refillRate: 1 })
 * const outcome = await limiter.check(req, req.socket.remoteAddress)
 * ```
 */
export function createRequestLimiter<Req, Res = unknown>(options: RateLimitOptions<Req, Res>): RequestLimiter<Req> {
  const resolved = resolveRateLimitOptions(options as unknown as RateLimitOptions<Req>)
  const steps = buildSteps(resolved)
  const decide = decideStep(resolved)
  const defaultCost = resolved.limiter.defaultCost
  return {
    policy: resolved.limiter.policy,
    keysByAddress: resolved.keyFunction === undefined,
    check: (request, address, raw) => runSteps(steps, decide, { request, address, raw, key: '', cost: defaultCost }, 0),
    record: (outcome, exchange) => recordOutcome(resolved, outcome, exchange),
  }
}

function recordOutcome<Req>(options: ResolvedRateLimit<Req>, outcome: LimitOutcome, exchange: RecordExchange<Req>) {
  if (outcome.kind === 'skipped' || outcome.kind === 'failed') return
  const { holder } = exchange
  if (outcome.decision) holder.rateLimit = outcome.decision
  if (outcome.counted === undefined) return
  if (holder.rateLimitBuckets === undefined) holder.rateLimitBuckets = new RequestBuckets()
  holder.rateLimitBuckets.add(outcome.counted)
  const count = options.countByOutcome
  if (count !== undefined && outcome.kind === 'allowed') refundByOutcome(options, count, outcome.counted, exchange)
}

function buildSteps<Req>(options: ResolvedRateLimit<Req>): RequestStep<Req>[] {
  const steps: RequestStep<Req>[] = []
  if (options.skip) steps.push(skipStep(options, options.skip))
  if (options.allowList) steps.push(allowAddressStep(options.allowList))
  steps.push(options.keyFunction ? keyFunctionStep(options, options.keyFunction) : addressKeyStep(options))
  if (options.allowKey) steps.push(allowKeyStep(options, options.allowKey))
  steps.push(countOnceStep(options))
  if (options.costFunction) steps.push(costStep(options, options.costFunction))
  return steps
}

/** Runs the steps in order from `from`; the first outcome ends the chain, a promise resumes it later. */
function runSteps<Req>(
  steps: readonly RequestStep<Req>[],
  decide: (exchange: Exchange<Req>) => MaybePromise<LimitOutcome>,
  exchange: Exchange<Req>,
  from: number,
): MaybePromise<LimitOutcome> {
  for (let index = from; index < steps.length; index++) {
    const outcome = (steps[index] as RequestStep<Req>)(exchange)
    if (outcome === undefined) continue
    if (!isPromiseLike(outcome)) return outcome
    return outcome.then((settled) => settled ?? runSteps(steps, decide, exchange, index + 1))
  }
  return decide(exchange)
}

function skipStep<Req>(options: ResolvedRateLimit<Req>, skip: NonNullable<ResolvedRateLimit<Req>['skip']>) {
  return function skipRequest({ request }: Exchange<Req>) {
    return attemptCall(
      options,
      request,
      'skip',
      () => skip(request),
      (skipped) => (skipped === true ? SKIPPED : undefined),
    )
  }
}

function allowAddressStep<Req>(allowList: (address: string | undefined) => boolean) {
  return function allowListedAddress({ address }: Exchange<Req>): StepOutcome {
    return allowList(address) ? SKIPPED : undefined
  }
}

function keyFunctionStep<Req>(
  options: ResolvedRateLimit<Req>,
  keyFunction: NonNullable<ResolvedRateLimit<Req>['keyFunction']>,
) {
  return function keyFromFunction(exchange: Exchange<Req>) {
    const { request } = exchange
    return attemptCall(
      options,
      request,
      'key',
      () => keyFunction(request),
      (key) => setKey(options, exchange, key),
    )
  }
}

function addressKeyStep<Req>(options: ResolvedRateLimit<Req>) {
  const { ipv6Subnet } = options
  return function keyFromAddress(exchange: Exchange<Req>): StepOutcome {
    const { address } = exchange
    // Koa reports a missing address as ''.
    if (address === undefined || address === '') return noClientAddress(options, exchange.request)
    // An address that is not an IP (a proxy header the framework trusted) is still a key: hashed if long.
    exchange.key = ipKey(address, ipv6Subnet) ?? address
    return undefined
  }
}

function setKey<Req>(options: ResolvedRateLimit<Req>, exchange: Exchange<Req>, key: unknown): StepOutcome {
  if (typeof key === 'string' && key !== '') {
    exchange.key = key
    return undefined
  }
  const shown = key === '' ? '""' : String(key)
  const error = new InvalidRequestInputError(`[spillway] the key function must return a non-empty string, got ${shown}`)
  return failed(options, exchange.request, 'key', error)
}

function allowKeyStep<Req>(options: ResolvedRateLimit<Req>, allowKey: NonNullable<ResolvedRateLimit<Req>['allowKey']>) {
  return function allowListedKey({ request, key }: Exchange<Req>) {
    const listed = (value: boolean) => (value === true ? SKIPPED : undefined)
    return attemptCall(options, request, 'allowList', () => allowKey(key, request), listed)
  }
}

/** Two middlewares with one policy on the same buckets (app-wide and an identical route one) count once. */
function countOnceStep<Req>(options: ResolvedRateLimit<Req>) {
  const { claim } = options
  return function countOnce({ request, key }: Exchange<Req>): StepOutcome {
    return claim.shared && countedBefore(claim, request, key) ? SKIPPED : undefined
  }
}

function costStep<Req>(
  options: ResolvedRateLimit<Req>,
  costFunction: NonNullable<ResolvedRateLimit<Req>['costFunction']>,
) {
  return function costOfRequest(exchange: Exchange<Req>) {
    const { request } = exchange
    return attemptCall(
      options,
      request,
      'cost',
      () => costFunction(request),
      (cost) => setCost(options, exchange, cost),
    )
  }
}

function setCost<Req>(options: ResolvedRateLimit<Req>, exchange: Exchange<Req>, cost: unknown): StepOutcome {
  if (typeof cost === 'number' && Number.isSafeInteger(cost) && cost >= 1) {
    exchange.cost = cost
    return undefined
  }
  const error = new InvalidRequestInputError(
    `[spillway] the cost function must return a whole number ≥ 1, got ${String(cost)}`,
  )
  return failed(options, exchange.request, 'cost', error)
}

/** The last step: the store decides (synchronously when it can), then the decision becomes the outcome. */
function decideStep<Req>(options: ResolvedRateLimit<Req>) {
  const { decide, waits } = options
  const policyName = options.limiter.policy.name
  return function decideRequest({ request, key, cost, raw }: Exchange<Req>): MaybePromise<LimitOutcome> {
    // Timed only while someone listens: an unobserved decision reads one property more.
    const startedMs = spillwayChannels.decision.hasSubscribers ? performance.now() : -1
    const onDecision = (decision: Decision) => {
      if (startedMs >= 0) publishDecision(policyName, key, decision, performance.now() - startedMs)
      const outcome = decisionOutcome(options, request, decision, key)
      if (decision.waitMs === undefined || waits === undefined || isPromiseLike(outcome)) return outcome
      if (outcome.kind !== 'allowed') return outcome
      return holdForTokens(options, waits, outcome, { request, raw })
    }
    const onFailure = (error: unknown) => failed(options, request, 'store', error)
    let decision: MaybePromise<Decision>
    try {
      decision = decide(key, cost)
    } catch (error) {
      return onFailure(error)
    }
    if (!isPromiseLike(decision)) return onDecision(decision)
    return decision.then(onDecision, onFailure)
  }
}

function publishDecision(policy: string, key: string, decision: Decision, storeLatencyMs: number): void {
  const outcome = !decision.allowed ? 'rejected' : decision.waitMs === undefined ? 'allowed' : 'delayed'
  publishEvent('decision', () => ({ policy, key, outcome, decision, storeLatencyMs }))
}
