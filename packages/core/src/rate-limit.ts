// The per-request path every adapter shares: skip → key → allow list → cost → store → outcome.
import { type HeaderField, rateLimitHeaders } from './headers.js'
import { ipKey } from './ip-key.js'
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
  /** A failure configured to pass on: hand `error` to the framework's error handling. */
  | { readonly kind: 'failed'; readonly error: unknown }

/** A rejected outcome: what an adapter's custom `handler` receives. */
export type RejectedOutcome = Extract<LimitOutcome, { kind: 'rejected' }>

/** Decides requests for one policy. Built once per `rateLimit(opts)` call. */
export interface RequestLimiter<Req> {
  readonly policy: Policy
  /** Decides one request; never throws or rejects. `clientAddress` is the framework's view of the client IP. */
  check(request: Req, clientAddress: string | undefined): Promise<LimitOutcome>
}

/** Thrown (and handled per `onKeyError`) when a key or cost function returns something unusable. */
export class InvalidRequestInputError extends TypeError {
  override readonly name = 'InvalidRequestInputError'
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

async function checkRequest<Req>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  clientAddress: string | undefined,
): Promise<LimitOutcome> {
  // Steps for options that are not set are skipped outright: no closure, no await on the hot path.
  const { skip, allowList, costOf } = options
  if (skip) {
    const skipped = await attempt(options, request, 'skip', async () => (await skip(request)) === true)
    if (!skipped.ok) return skipped.outcome
    if (skipped.value) return { kind: 'skipped' }
  }
  const key = await attempt(options, request, 'key', () => keyOf(options, request, clientAddress))
  if (!key.ok) return key.outcome
  if (allowList) {
    const address = ipKey(clientAddress, false)
    const listed = await attempt(
      options,
      request,
      'key',
      async () => (await allowList(key.value, address, request)) === true,
    )
    if (!listed.ok) return listed.outcome
    if (listed.value) return { kind: 'skipped' }
  }
  let cost = options.limiter.defaultCost
  if (costOf) {
    const dynamic = await attempt(options, request, 'cost', () => validCost(costOf, request))
    if (!dynamic.ok) return dynamic.outcome
    cost = dynamic.value
  }
  const decision = await attempt(options, request, 'store', () => options.limiter.consume(key.value, cost))
  if (!decision.ok) return decision.outcome
  return decisionOutcome(options, request, decision.value)
}

async function keyOf<Req>(options: ResolvedRateLimit<Req>, request: Req, clientAddress: string | undefined) {
  // An address that is not an IP (a proxy header the framework trusted) is still a key: hashed if long.
  const key = options.keyOf ? await options.keyOf(request) : (ipKey(clientAddress, options.ipv6Subnet) ?? clientAddress)
  if (typeof key !== 'string' || key === '') {
    const source = options.keyOf ? 'the key function returned' : 'the client address is'
    throw new InvalidRequestInputError(`[spillway] no rate-limit key: ${source} ${String(key ?? clientAddress)}`)
  }
  return key
}

async function validCost<Req>(costOf: (request: Req) => number | Promise<number>, request: Req): Promise<number> {
  const cost = await costOf(request)
  if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1) {
    throw new InvalidRequestInputError(
      `[spillway] the cost function must return a whole number ≥ 1, got ${String(cost)}`,
    )
  }
  return cost
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
  if (typeof body !== 'function') return serializeBody(statusCode, body, false)
  try {
    return serializeBody(statusCode, await body(decision, request), false)
  } catch (error) {
    report(options, request, 'body', error)
    return serializeBody(statusCode, quotaExceededProblem(decision, statusCode), true)
  }
}

/** Runs one step; a throw or rejection becomes the outcome its failure mode asks for. */
async function attempt<Req, T>(
  options: ResolvedRateLimit<Req>,
  request: Req,
  stage: FailureStage,
  run: () => Promise<T> | T,
): Promise<Step<T>> {
  try {
    return { ok: true, value: await run() }
  } catch (error) {
    report(options, request, stage, error)
    const mode = stage === 'store' ? options.onStoreError : options.onKeyError
    return { ok: false, outcome: failureOutcome(mode, error) }
  }
}

function failureOutcome(mode: FailureMode, error: unknown): LimitOutcome {
  if (mode === 'allow') return { kind: 'skipped' }
  if (mode === 'deny') return { kind: 'rejected', decision: undefined, headers: [], response: cannotDecideResponse() }
  return { kind: 'failed', error }
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
