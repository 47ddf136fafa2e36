// How a step's result becomes an outcome: user calls under a time budget, failure modes, hooks, rejections.
import { withinBudget } from './budget.js'
import { publishEvent } from './events.js'
import { rateLimitHeaders } from './headers.js'
import { InvalidRequestInputError, type LimitOutcome, RateLimiterError } from './limit-outcome.js'
import type { FailureMode, FailureStage, ResolvedRateLimit } from './rate-limit-option-types.js'
import { cannotDecideResponse, type LimitResponse, quotaExceededProblem, serializeBody } from './responses.js'
import type { Decision } from './types.js'

export type MaybePromise<T> = T | Promise<T>
/** What a step answers: `undefined` to go on to the next step, or the request's outcome. */
export type StepOutcome = LimitOutcome | undefined

export const SKIPPED: LimitOutcome = Object.freeze({ kind: 'skipped' })

/**
 * Calls a user function and hands its value to `next`. A throw or rejection becomes the outcome of the
 * stage's failure mode; a promise gets `callbackTimeoutMs` to settle, so one that never does cannot hang
 * a request. A synchronous function costs no promise.
 */
export function attemptCall<Req, T>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  stage: FailureStage,
  call: () => MaybePromise<T>,
  next: (value: T) => MaybePromise<StepOutcome>,
): MaybePromise<StepOutcome> {
  let result: MaybePromise<T>
  try {
    result = call()
  } catch (error) {
    return failed(options, request, stage, error)
  }
  if (!isPromiseLike(result)) return next(result)
  return withinBudget(result, options.callbackTimeoutMs, stage).then(next, (error: unknown) =>
    failed(options, request, stage, error),
  )
}

/** Reports `error` and answers what the stage's failure mode asks for. */
export function failed<Req>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  stage: FailureStage,
  error: unknown,
): LimitOutcome {
  report(options, request, stage, error)
  const mode: FailureMode = stage === 'store' ? options.onStoreError : options.onCallbackError
  if (stage === 'store') {
    const { policy, store } = options.limiter
    publishEvent('storeError', () => ({ store: store.name, error, handledBy: mode, policy: policy.name }))
  }
  if (mode === 'allow') return SKIPPED
  if (mode === 'deny') {
    const response = cannotDecideResponse(options.limiter.policy.name)
    return { kind: 'rejected', decision: undefined, headers: [], response }
  }
  return { kind: 'failed', error: new RateLimiterError(stage, error) }
}

/**
 * How a decision sits among the request's other policies, when several were decided together: whether the
 * request's tokens were taken (every policy admitted), and the policies that rejected it (all of them are
 * named in the default body's `violated-policies`).
 */
export interface StackContext {
  readonly taken: boolean
  readonly violated: readonly string[]
}

/** The outcome of a decision: headers always; on a rejection `onLimited` and the response. */
export function decisionOutcome<Req>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  decision: Decision,
  key: string,
  actions = options.actions,
  stack?: StackContext,
): MaybePromise<LimitOutcome> {
  const headers = rateLimitHeaders(decision, options.headers)
  const admitted = stack === undefined ? decision.allowed : stack.taken
  const counted = { actions, key, cost: decision.cost, admitted, headers: options.headers, settled: false }
  if (decision.allowed) return { kind: 'allowed', decision, headers, counted }
  if (options.onLimited) notify(options, request, 'hook', () => options.onLimited?.(decision, request))
  const response = rejectionResponse(options, request, decision, stack?.violated)
  if (!isPromiseLike(response)) return { kind: 'rejected', decision, headers, response, counted }
  return response.then((built) => ({ kind: 'rejected', decision, headers, response: built, counted }))
}

function rejectionResponse<Req>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  decision: Decision,
  violated: readonly string[] | undefined,
): MaybePromise<LimitResponse> {
  const { statusCode, body } = options
  if (body === undefined) return defaultRejection(options, decision, violated)
  if (typeof body !== 'function') return body
  const fallBack = (error: unknown) => {
    report(options, request, 'body', error)
    return defaultRejection(options, decision, violated)
  }
  try {
    const built = body(decision, request)
    if (!isPromiseLike(built)) return serializeBody(statusCode, built, false)
    return withinBudget(built, options.callbackTimeoutMs, 'body').then(
      (value) => serializeBody(statusCode, value, false),
      fallBack,
    )
  } catch (error) {
    return fallBack(error)
  }
}

/**
 * The problem+json body, built once per distinct `Retry-After` (it is all that changes between two
 * rejections of one policy), so a flood of 429s costs no more than a flood of passes. A rejection by
 * several policies at once names them all, and is not cached.
 */
function defaultRejection<Req>(
  options: ResolvedRateLimit<Req>,
  decision: Decision,
  violated?: readonly string[],
): LimitResponse {
  if (violated !== undefined && violated.length > 1) {
    return serializeBody(options.statusCode, quotaExceededProblem(decision, options.statusCode, violated), true)
  }
  const retrySeconds = Number.isFinite(decision.retryAfterMs) ? Math.ceil(decision.retryAfterMs / 1000) : -1
  const cache = options.rejectionCache
  // The body names the policy: only the options' own policy is cached (not those capacity functions pick).
  const cacheable = decision.cost === options.limiter.defaultCost && decision.policy === options.limiter.policy
  const cached = cacheable ? cache.get(retrySeconds) : undefined
  if (cached) return cached
  const response = serializeBody(options.statusCode, quotaExceededProblem(decision, options.statusCode), true)
  if (!cacheable) return response
  if (cache.size >= 256) cache.clear()
  cache.set(retrySeconds, response)
  return response
}

/**
 * A request without a client address (an app on a Unix socket, behind a proxy it does not trust) has
 * no default key. Keying them all together would lock every client out at once, and a 500 would take
 * the API down: let it through, and say once what to configure.
 */
export function noClientAddress<Req>(options: ResolvedRateLimit<Req>, request: Req): LimitOutcome {
  if (!options.warnedNoAddress) {
    options.warnedNoAddress = true
    const message =
      'A request has no client address (is the app listening on a Unix socket, behind a proxy it does not trust?), ' +
      `so policy "${options.limiter.policy.name}" let it through without limiting it. Set the framework's ` +
      'trust-proxy option to your proxy, or pass a `key` function. See @spillway/core/docs/errors.md#spillway_no_client_address.'
    process.emitWarning(message, { code: 'SPILLWAY_NO_CLIENT_ADDRESS' })
    report(options, request, 'key', new InvalidRequestInputError(`[spillway] ${message}`))
  }
  return SKIPPED
}

/** Runs a hook whose failure, sync or async, must not change the outcome or crash the process. */
function notify<Req>(options: ResolvedRateLimit<Req>, request: Req, stage: FailureStage, run: () => unknown): void {
  try {
    const result = run()
    if (isPromiseLike(result)) result.then(undefined, (error: unknown) => report(options, request, stage, error))
  } catch (error) {
    report(options, request, stage, error)
  }
}

export function report<Req>(options: ResolvedRateLimit<Req>, request: Req, stage: FailureStage, error: unknown): void {
  try {
    const result: unknown = options.onError?.(error, { stage, request })
    // A logging hook that throws or rejects must not turn a handled failure into a crash.
    if (isPromiseLike(result)) result.then(undefined, () => {})
  } catch {
    // As above, for a hook that throws synchronously.
  }
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}
