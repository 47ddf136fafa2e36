// The per-request path every adapter shares: skip → key → allow list → cost → store → outcome.
import { CallbackTimeoutError, withinBudget } from './budget.js'
import { type HeaderField, rateLimitHeaders } from './headers.js'
import { ipKey } from './ip-key.js'
import { countedBefore } from './policy-claims.js'
import {
  type FailureMode,
  type FailureStage,
  type RateLimitOptions,
  type ResolvedRateLimit,
  resolveRateLimitOptions,
} from './rate-limit-options.js'
import { cannotDecideResponse, type LimitResponse, quotaExceededProblem, serializeBody } from './responses.js'
import type { Decision, Policy } from './types.js'

/** What the adapter should do with a request. Data only: the adapter writes it. */
export type LimitOutcome =
  /** Not limited (skipped, allow-listed, or a failure configured to allow): no headers. */
  | { readonly kind: 'skipped' }
  /** Admitted: set `headers` and go on. */
  | { readonly kind: 'allowed'; readonly decision: Decision; readonly headers: readonly HeaderField[] }
  /** Rejected: set `headers` and send `response`. `decision` is absent when the limiter could not decide. */
  | {
      readonly kind: 'rejected'
      readonly decision: Decision | undefined
      readonly headers: readonly HeaderField[]
      readonly response: LimitResponse
    }
  /**
   * A failure configured to pass on: hand `error` to the framework's error handling. It is always a
   * {@link RateLimiterError} that says nothing of the cause (the cause went to `onError`), so no store
   * error text, host name or script hash ever reaches a client.
   */
  | { readonly kind: 'failed'; readonly error: RateLimiterError }

/** A rejected outcome: what an adapter's custom `handler` receives. */
export type RejectedOutcome = Extract<LimitOutcome, { kind: 'rejected' }>

/** Decides requests for one policy. Built once per `rateLimit(opts)` call. */
export interface RequestLimiter<Req> {
  readonly policy: Policy
  /** Decides one request; never throws or rejects. `clientAddress` is the framework's view of the client IP. */
  check(request: Req, clientAddress: string | undefined): Promise<LimitOutcome>
}

/** Thrown (and handled per `onCallbackError`) when a key or cost function returns something unusable. */
export class InvalidRequestInputError extends TypeError {
  override readonly name = 'InvalidRequestInputError'
}

/**
 * The error adapters hand to the framework when a failure is configured to pass on (`'error'`). Its
 * message is generic on purpose; the original error is `cause` and was reported to `onError`. It
 * carries `status`/`statusCode` 500 and `expose: false`, which Express, Fastify and Koa all read.
 */
export class RateLimiterError extends Error {
  override readonly name = 'RateLimiterError'
  readonly code = 'ERR_SPILLWAY_REQUEST_FAILED'
  readonly status = 500
  readonly statusCode = 500
  readonly expose = false
  /** Where the failure happened. */
  readonly stage: FailureStage

  constructor(stage: FailureStage, cause: unknown) {
    super('The rate limiter could not decide on this request', { cause })
    this.stage = stage
  }
}

/**
 * Validates the options once and returns the shared request pipeline that adapters call.
 *
 * @example
 * ```ts
 * const limiter = createRequestLimiter<IncomingMessage>({ capacity: 10, refillRate: 1 })
 * const outcome = await limiter.check(req, req.socket.remoteAddress)
 * ```
 */
export function createRequestLimiter<Req>(options: RateLimitOptions<Req>): RequestLimiter<Req> {
  const resolved = resolveRateLimitOptions(options)
  return {
    policy: resolved.limiter.policy,
    check: (request, clientAddress) => checkRequest(resolved, request, clientAddress),
  }
}

type Step<T> = { ok: true; value: T } | { ok: false; outcome: LimitOutcome }

const SKIPPED: LimitOutcome = Object.freeze({ kind: 'skipped' })

async function checkRequest<Req>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  clientAddress: string | undefined,
): Promise<LimitOutcome> {
  // Steps for options that are not set are skipped outright: no closure, no await on the hot path.
  const { skip, allowList, allowKey, costFunction, keyFunction, claim } = options
  if (skip) {
    const skipped = await attempt(options, request, 'skip', () => skip(request))
    if (!skipped.ok) return skipped.outcome
    if (skipped.value === true) return SKIPPED
  }
  if (allowList?.(clientAddress)) return SKIPPED
  let rawKey: unknown
  if (keyFunction) {
    const key = await attempt(options, request, 'key', () => keyFunction(request))
    if (!key.ok) return key.outcome
    rawKey = key.value
  } else {
    // Koa reports a missing address as ''.
    if (clientAddress === undefined || clientAddress === '') return noClientAddress(options, request)
    // An address that is not an IP (a proxy header the framework trusted) is still a key: hashed if long.
    rawKey = ipKey(clientAddress, options.ipv6Subnet) ?? clientAddress
  }
  const validKey = checkKey(options, request, rawKey)
  if (!validKey.ok) return validKey.outcome
  if (allowKey) {
    const listed = await attempt(options, request, 'allowList', () => allowKey(validKey.value, request))
    if (!listed.ok) return listed.outcome
    if (listed.value === true) return SKIPPED
  }
  // Two middlewares with one policy on the same buckets (app-wide and an identical route one) count once.
  if (claim.shared && countedBefore(claim, request, validKey.value)) return SKIPPED
  let cost = options.limiter.defaultCost
  if (costFunction) {
    const dynamic = await attempt(options, request, 'cost', () => costFunction(request))
    if (!dynamic.ok) return dynamic.outcome
    const validCost = checkCost(options, request, dynamic.value)
    if (!validCost.ok) return validCost.outcome
    cost = validCost.value
  }
  const decision = await attempt(options, request, 'store', () => options.limiter.consume(validKey.value, cost))
  if (!decision.ok) return decision.outcome
  return decisionOutcome(options, request, decision.value)
}

function checkKey<Req>(options: ResolvedRateLimit<Req>, request: Req, key: unknown): Step<string> {
  if (typeof key === 'string' && key !== '') return { ok: true, value: key }
  const error = new InvalidRequestInputError(
    `[spillway] the key function must return a non-empty string, got ${key === '' ? '""' : String(key)}`,
  )
  return failed(options, request, 'key', error)
}

function checkCost<Req>(options: ResolvedRateLimit<Req>, request: Req, cost: unknown): Step<number> {
  if (typeof cost === 'number' && Number.isSafeInteger(cost) && cost >= 1) return { ok: true, value: cost }
  const error = new InvalidRequestInputError(
    `[spillway] the cost function must return a whole number ≥ 1, got ${String(cost)}`,
  )
  return failed(options, request, 'cost', error)
}

/**
 * A request without a client address (an app on a Unix socket, behind a proxy it does not trust) has
 * no default key. Keying them all together would lock every client out at once, and a 500 would take
 * the API down: let it through, and say once what to configure.
 */
function noClientAddress<Req>(options: ResolvedRateLimit<Req>, request: Req): LimitOutcome {
  if (!options.warnedNoAddress) {
    options.warnedNoAddress = true
    const message =
      'A request has no client address (is the app listening on a Unix socket, behind a proxy it does not trust?), ' +
      `so policy "${options.limiter.policy.name}" let it through without limiting it. Set the framework's ` +
      'trust-proxy option to your proxy, or pass a `key` function. See docs/errors.md#spillway_no_client_address.'
    process.emitWarning(message, { code: 'SPILLWAY_NO_CLIENT_ADDRESS' })
    report(options, request, 'key', new InvalidRequestInputError(`[spillway] ${message}`))
  }
  return SKIPPED
}

async function decisionOutcome<Req>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  decision: Decision,
): Promise<LimitOutcome> {
  const headers = rateLimitHeaders(decision, options.headers)
  if (decision.allowed) return { kind: 'allowed', decision, headers }
  notify(options, request, 'hook', () => options.onLimited?.(decision, request))
  return { kind: 'rejected', decision, headers, response: await rejectionResponse(options, request, decision) }
}

async function rejectionResponse<Req>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  decision: Decision,
): Promise<LimitResponse> {
  const { statusCode, body } = options
  if (body === undefined) return serializeBody(statusCode, quotaExceededProblem(decision, statusCode), true)
  if (typeof body !== 'function') return body
  try {
    const built = await withinBudget(body(decision, request), options.callbackTimeoutMs, 'body')
    return serializeBody(statusCode, built, false)
  } catch (error) {
    report(options, request, 'body', error)
    return serializeBody(statusCode, quotaExceededProblem(decision, statusCode), true)
  }
}

/**
 * Runs one step; a throw or rejection becomes the outcome its failure mode asks for. A user function
 * that returns a promise gets `callbackTimeoutMs` to settle, so one that never does cannot hang a request.
 */
async function attempt<Req, T>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  stage: FailureStage,
  run: () => Promise<T> | T,
): Promise<Step<T>> {
  try {
    const result = run()
    if (stage === 'store' || !isPromiseLike(result)) return { ok: true, value: await result }
    return { ok: true, value: await withinBudget(result, options.callbackTimeoutMs, stage) }
  } catch (error) {
    return failed(options, request, stage, error)
  }
}

function failed<Req>(options: ResolvedRateLimit<Req>, request: Req, stage: FailureStage, error: unknown) {
  report(options, request, stage, error)
  const mode = stage === 'store' ? options.onStoreError : options.onCallbackError
  return { ok: false as const, outcome: failureOutcome(mode, stage, error) }
}

function failureOutcome(mode: FailureMode, stage: FailureStage, error: unknown): LimitOutcome {
  if (mode === 'allow') return SKIPPED
  if (mode === 'deny') return { kind: 'rejected', decision: undefined, headers: [], response: cannotDecideResponse() }
  return { kind: 'failed', error: new RateLimiterError(stage, error) }
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

function report<Req>(options: ResolvedRateLimit<Req>, request: Req, stage: FailureStage, error: unknown): void {
  try {
    const result: unknown = options.onError?.(error, { stage, request })
    // A logging hook that throws or rejects must not turn a handled failure into a crash.
    if (isPromiseLike(result)) result.then(undefined, () => {})
  } catch {
    // As above, for a hook that throws synchronously.
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}

export { CallbackTimeoutError }
