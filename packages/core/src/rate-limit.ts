// The per-request path every adapter shares: the named steps (request-steps.ts), then the store decides.
import { CallbackTimeoutError } from './budget.js'
import { type RawResponse, refundByOutcome, type WatchedExchange } from './count-by-outcome.js'
import type { PolicyVariant } from './dynamic-policies.js'
import { publishDecision, spillwayChannels } from './events.js'
import type { LimitOutcome } from './limit-outcome.js'
import type { RateLimitOptions, ResolvedRateLimit } from './rate-limit-option-types.js'
import { resolveRateLimitOptions } from './rate-limit-options.js'
import { type CountedRequest, RequestBuckets } from './request-buckets.js'
import { bucketsIn, type Hold, holdsOf, isHold, linkHolds } from './request-holds.js'
import { decisionOutcome, failed, isPromiseLike, type MaybePromise } from './request-outcome.js'
import { buildSteps, type Exchange, readsClientAddress, runSteps } from './request-steps.js'
import { decidePolicies, type ReadyPolicy, releaseHolds } from './stack-decision.js'
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
  /**
   * True when a step reads the client address (the key, or an address `allowList`): otherwise an adapter may
   * pass `undefined` to {@link RequestLimiter.check} and skip working it out (Express's `req.ip` costs up to
   * ~1 µs). The proxy setting matters to such a policy: adapters warn about it for these policies.
   */
  readonly readsAddress: boolean
  /**
   * Decides one request; never throws or rejects. `clientAddress` is the framework's view of the client
   * IP. Answers synchronously when every step can (an in-process store, sync user functions), so the hot
   * path makes no promise: adapters check for a `then` before awaiting. `raw` is the Node response
   * (Express `res`, Fastify `reply.raw`, Koa `ctx.res`): a request held by `maxWait` whose connection
   * closes gets its tokens back. `holder` is where {@link RequestLimiter.record} writes this request's fields,
   * for an adapter that keeps them off the request (Express): earlier policies' holds are found there.
   */
  check(
    request: Req,
    clientAddress: string | undefined,
    raw?: RawResponse,
    holder?: RateLimitHolder,
  ): MaybePromise<LimitOutcome>
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
  /**
   * True when the adapter passes `holder` to every `check` of this request: a later policy finds the
   * request's holds there, so nothing links the request to them. Otherwise a request that is not its own
   * holder (a Koa ctx) gets a link.
   */
  readonly holderPassedToCheck?: boolean
}

/** The request-side fields Spillway sets: on Express `req`, Fastify `request`, Koa `ctx.state`. */
export interface RateLimitHolder {
  rateLimit?: Decision | undefined
  rateLimitBuckets?: RequestBuckets | undefined
}

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
  const variant: PolicyVariant = resolved
  const limiter: RequestLimiter<Req> = {
    policy: resolved.limiter.policy,
    readsAddress: readsClientAddress(resolved),
    check: (request, address, raw, holder) => {
      const exchange = { request, address, raw, key: '', cost: defaultCost, variant }
      const holds = holdsOf(request, holder)
      if (holds.length === 0) return runSteps(steps, decide, exchange, 0)
      return afterHolds(runSteps(steps, decideWithHolds(resolved, holds, decide), exchange, 0), holds)
    },
    record: (outcome, exchange) => recordOutcome(resolved, outcome, exchange),
  }
  preparers.set(limiter, (request, address) =>
    runSteps(steps, readyPolicy(resolved), { request, address, key: '', cost: defaultCost, variant }, 0),
  )
  return limiter
}

/** What a policy asks of its bucket once its skip, key and cost steps are done, or the outcome they gave. */
export type Prepared<Req> = LimitOutcome | ReadyPolicy<Req>

const preparers = new WeakMap<object, (request: never, address: string | undefined) => MaybePromise<Prepared<never>>>()

/**
 * Runs a request limiter's steps up to its decision, for a decision over several policies at once
 * (`createPolicyStack`): the outcome they gave, or the policy ready to be decided.
 */
export function prepareRequest<Req>(
  limiter: RequestLimiter<Req>,
  request: Req,
  address: string | undefined,
): MaybePromise<Prepared<Req>> {
  const prepare = preparers.get(limiter) as unknown as (req: Req, address: string | undefined) => Prepared<Req>
  return prepare(request, address)
}

function readyPolicy<Req>(options: ResolvedRateLimit<Req>) {
  return ({ key, cost, variant }: Exchange<Req>): ReadyPolicy<Req> => ({ options, variant, key, cost })
}

/**
 * The decision of a policy that comes after others on the same request (an Express or Koa route
 * middleware after an app-wide one): taken together with what the earlier ones hold, all-or-nothing.
 */
function decideWithHolds<Req>(
  options: ResolvedRateLimit<Req>,
  holds: readonly Hold[],
  alone: (exchange: Exchange<Req>) => MaybePromise<LimitOutcome>,
) {
  return function decideAfterEarlierPolicies(exchange: Exchange<Req>): MaybePromise<LimitOutcome> {
    const { request, key, cost, variant } = exchange
    // A policy with blockDuration is decided on its own (its block is checked in its own step).
    if (variant.limiter.policy.block !== undefined) return alone(exchange)
    const outcomes = decidePolicies(request, [{ options, variant, key, cost }], holds)
    if (!isPromiseLike(outcomes)) return outcomes[0] as LimitOutcome
    return outcomes.then((settled) => settled[0] as LimitOutcome)
  }
}

/** A request turned away without a decision (a `'deny'` mode) keeps no earlier policy's tokens either. */
function afterHolds(outcome: MaybePromise<LimitOutcome>, holds: readonly Hold[]): MaybePromise<LimitOutcome> {
  const release = (settled: LimitOutcome) => {
    if (settled.kind === 'rejected' && settled.decision === undefined) releaseHolds(holds)
    return settled
  }
  return isPromiseLike(outcome) ? outcome.then(release) : release(outcome)
}

function recordOutcome<Req>(options: ResolvedRateLimit<Req>, outcome: LimitOutcome, exchange: RecordExchange<Req>) {
  if (outcome.kind === 'skipped' || outcome.kind === 'failed') return
  const { decision, counted } = outcome
  if (counted === undefined) {
    if (decision) exchange.holder.rateLimit = decision
    return
  }
  const buckets = recordCount(exchange.holder, decision, counted)
  // A later policy of this request decides together with these tokens (all-or-nothing).
  if (isHold(counted)) linkHolds(buckets, exchange)
  const count = options.countByOutcome
  if (count !== undefined && outcome.kind === 'allowed') refundByOutcome(options, count, counted, exchange)
}

/** Sets `holder.rateLimit` and adds the count to `holder.rateLimitBuckets`, made at the request's first policy. */
function recordCount(holder: RateLimitHolder, decision: Decision | undefined, counted: CountedRequest): RequestBuckets {
  if (decision) holder.rateLimit = decision
  let buckets = bucketsIn(holder)
  if (buckets === undefined) {
    buckets = new RequestBuckets()
    holder.rateLimitBuckets = buckets
  }
  buckets.add(counted)
  return buckets
}

/** The last step: the store decides (synchronously when it can), then the decision becomes the outcome. */
function decideStep<Req>(options: ResolvedRateLimit<Req>) {
  return function decideRequest(exchange: Exchange<Req>): MaybePromise<LimitOutcome> {
    // Timed only while someone listens: an unobserved decision reads one property more.
    const startedMs = spillwayChannels.decision.hasSubscribers ? performance.now() : -1
    let decision: MaybePromise<Decision>
    try {
      decision = exchange.variant.decide(exchange.key, exchange.cost)
    } catch (error) {
      return failed(options, exchange.request, 'store', error)
    }
    // In memory the decision is there at once: no closure, no promise.
    if (!isPromiseLike(decision)) return outcomeOfDecision(options, exchange, decision, startedMs)
    return decision.then(
      (settled) => outcomeOfDecision(options, exchange, settled, startedMs),
      (error: unknown) => failed(options, exchange.request, 'store', error),
    )
  }
}

/** A decision as the request's outcome; an admission on credit (`maxWait`) waits for its tokens first. */
function outcomeOfDecision<Req>(
  options: ResolvedRateLimit<Req>,
  exchange: Exchange<Req>,
  decision: Decision,
  startedMs: number,
): MaybePromise<LimitOutcome> {
  const { request, key, variant } = exchange
  if (startedMs >= 0) publishDecision(key, decision, performance.now() - startedMs)
  const outcome = decisionOutcome(options, request, decision, key, variant.actions)
  const { waits } = options
  if (waits === undefined || isPromiseLike(outcome) || outcome.kind !== 'allowed') return outcome
  // Its tokens are there, but after an event-loop stall an earlier request may still be held: queue behind it.
  if (decision.waitMs === undefined && !waits.isHolding(outcome.counted.key)) return outcome
  return holdForTokens(options, waits, outcome, { request, raw: exchange.raw })
}
