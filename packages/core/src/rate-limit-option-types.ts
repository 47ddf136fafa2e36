// The shapes of the adapters' options: what users pass (RateLimitOptions) and what validation resolves.
import type { BlockDuration } from './block.js'
import type { DynamicPolicies } from './dynamic-policies.js'
import type { HeaderOptions, StandardHeaders } from './headers.js'
import type { RetryJitter } from './jitter.js'
import type { Limiter } from './limiter.js'
import type { RefillRate } from './policy.js'
import type { PolicyClaim } from './policy-claims.js'
import type { BucketActions } from './request-buckets.js'
import type { LimitResponse } from './responses.js'
import type { Decision, Store } from './types.js'
import type { WaitQueue } from './wait-queue.js'

type MaybePromise<T> = T | Promise<T>

/** What to do when the key, cost or skip function throws, or the store fails. */
export type FailureMode = 'error' | 'allow' | 'deny'

/**
 * What to do when the store fails: a {@link FailureMode}, or `'local'` — decide in-process on this
 * process's share of the limit, behind a time budget and a circuit breaker (the default for remote stores).
 */
export type StoreFailureMode = FailureMode | 'local'

/** Where a failure happened, for {@link RateLimitOptions.onError}. */
export type FailureStage = 'key' | 'cost' | 'policy' | 'skip' | 'allowList' | 'store' | 'hook' | 'body'

/** The body of a rejection: a string (sent as text), a value sent as JSON, or a function of the decision. */
export type RejectionBody<Req> = string | number | boolean | object | ((decision: Decision, request: Req) => unknown)

/** Default time a user function's promise has to settle: {@link RateLimitOptions.callbackTimeoutMs}. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 1000

/**
 * Options of `rateLimit(opts)` in every adapter. `Req` is the framework's request
 * (Express `Request`, Fastify `FastifyRequest`, Koa `Context`).
 */
export interface RateLimitOptions<Req, Res = unknown> {
  /**
   * B: the most tokens a bucket holds, i.e. the largest burst. Or a function of the request (sync or
   * async), e.g. tiers by API key: each distinct capacity and rate is a policy of its own (see `maxPolicies`).
   */
  capacity: number | ((request: Req) => MaybePromise<number>)
  /** R: tokens per second, or `{ tokens: 100, per: '1m' }`; or a function of the request, like `capacity`. */
  refillRate: RefillRate | ((request: Req) => MaybePromise<RefillRate>)
  /**
   * When `capacity` or `refillRate` is a function: the most distinct policies (bucket shapes) it may
   * create, each named `<name>:<capacity>@<rate>/s` with its own keys. Past it a request fails with
   * `ERR_SPILLWAY_TOO_MANY_POLICIES`, handled per `onCallbackError`. Default 100.
   */
  maxPolicies?: number
  /** Where buckets live. Default: a new in-process `MemoryStore` (one per `rateLimit` call). */
  store?: Store
  /** Policy name: shown in headers, and its own key space. Default `'default'`. */
  name?: string
  /** Tokens a request takes: a number, or a function of the request. Default 1. */
  cost?: number | ((request: Req) => MaybePromise<number>)
  /**
   * Wait instead of reject (ms, or `'500ms'`, `'2s'`): a request whose tokens will be there within
   * `maxWait` is admitted at once with its tokens reserved on credit, and held until they are there —
   * in arrival order, bounded by `maxWait`, atomically on Redis. A client that disconnects while held gets
   * its tokens back. Default 0 (off). Not with `blockDuration`, nor when the policy is decided together
   * with others (all-or-nothing): the request is then admitted only when its tokens are there now.
   * See docs/options.md#maxwait.
   */
  maxWait?: number | string
  /**
   * Once a key is rejected, it stays rejected this long (a login lockout): ms, `'15m'`, or an escalating
   * block `{ initial: '1m', max: '1h', factor: 2 }`. `Retry-After` tells when the block ends. Default: none.
   */
  blockDuration?: BlockDuration
  /**
   * The bucket key of a request. Default: the client address as the framework computes it.
   * Returning `undefined` or `''` is a key failure, handled per `onCallbackError`.
   */
  key?: (request: Req) => MaybePromise<string | undefined>
  /** Return true to let a request through without counting it or sending headers. */
  skip?: (request: Req) => MaybePromise<boolean>
  /**
   * Clients never limited: IP addresses and CIDR blocks (`'10.0.0.0/8'`, `'2001:db8::/32'`) matched
   * against the client address only — never against the key, which a custom `key` function may take
   * from a header the client writes — or a function of the key and request that decides it.
   */
  allowList?: readonly string[] | ((key: string, request: Req) => MaybePromise<boolean>)
  /** Prefix length that groups IPv6 clients in the default key, or `false` for whole addresses. Default 64. */
  ipv6Subnet?: number | false
  /**
   * Which IETF RateLimit fields to send on every counted response: `'draft-11'` (default: `RateLimit`,
   * `RateLimit-Policy`), `'draft-10'`, `'draft-6'` (`RateLimit-Limit/-Remaining/-Reset`, `RateLimit-Policy`),
   * or `false` for none of them. `Retry-After` is part of every 429 whatever this says.
   */
  standardHeaders?: StandardHeaders
  /** Also send `X-RateLimit-Limit/-Remaining/-Reset` (Reset in delta seconds). Default false. */
  legacyHeaders?: boolean
  /**
   * Adds a random delay of up to this many ms (or `{ maxMs }`) to `Retry-After` and the reset hints, so
   * clients rejected together do not all come back at one instant. Never shortens a wait. Default 0 (off).
   */
  retryJitter?: RetryJitter
  /** Status of a rejection. Default 429. */
  statusCode?: number
  /**
   * Body of a rejection: a value (string → text, else JSON, serialised once at construction) or a function
   * (sync or async) of the decision and request. Default: problem+json.
   */
  body?: RejectionBody<Req>
  /**
   * Milliseconds a `key`, `cost`, `skip`, `allowList` or `body` function's promise has to settle (default
   * 1000). Past it the request is handled as if the function had failed, so a lookup that hangs cannot hang
   * requests.
   */
  callbackTimeoutMs?: number
  /**
   * Give an admitted request's tokens back when its response succeeds (see `requestWasSuccessful`):
   * only failures count. The request is counted when it arrives and refunded once it has answered.
   * Default false.
   */
  skipSuccessfulRequests?: boolean
  /**
   * Give an admitted request's tokens back when its response fails — an error status, or a response
   * that never finished (the client went away, the stream errored). Default false.
   */
  skipFailedRequests?: boolean
  /**
   * Whether a finished response was a success, for the two options above: a function of the request and
   * the framework's response (Express `res`, Fastify `reply`, Koa `ctx.response`). Default: status < 400.
   * A response that never finished is a failure, whatever this says.
   */
  requestWasSuccessful?: (request: Req, response: Res) => boolean
  /** Called on each rejection, before the response is written; not awaited. Errors it throws or rejects with are reported to `onError`. */
  onLimited?: (decision: Decision, request: Req) => unknown
  /**
   * When a `key`, `cost`, `skip` or `allowList` function throws, rejects or outlasts `callbackTimeoutMs`:
   * pass the error on (default), let the request through, or deny (503).
   */
  onCallbackError?: FailureMode
  /**
   * When the store fails or is slow. `'local'` (the default for remote stores such as `RedisStore`):
   * decide in-process on this process's share of the limit, within a 50 ms budget, with a circuit breaker
   * (see `resilient`). `'allow'` (the default for in-process stores): let the request through; `'deny'`:
   * answer 503; `'error'`: pass a generic error on.
   */
  onStoreError?: StoreFailureMode
  /** Called with every error the limiter absorbs or passes on, so it can be logged; not awaited, its own errors are ignored. */
  onError?: (error: unknown, context: { stage: FailureStage; request: Req }) => unknown
}

/** Options after validation, with defaults applied. */
export interface ResolvedRateLimit<Req> {
  readonly limiter: Limiter
  /** The limiter's decision for a valid key and cost, synchronous when the store can answer at once. */
  readonly decide: (key: string, cost: number) => Decision | Promise<Decision>
  /** The policy's limiter and its refund, shared by every request it counts. */
  readonly actions: BucketActions
  /** Holds requests admitted on credit until their tokens are there (set when the policy has `maxWait`). */
  readonly waits: WaitQueue | undefined
  /** Set when the policy refunds by response outcome (`skipSuccessfulRequests`, `skipFailedRequests`). */
  readonly countByOutcome: CountByOutcome<Req> | undefined
  /** Serialised default 429 bodies by Retry-After seconds (see request-outcome.ts). */
  readonly rejectionCache: Map<number, LimitResponse>
  readonly costFunction: ((request: Req) => MaybePromise<number>) | undefined
  readonly keyFunction: ((request: Req) => MaybePromise<string | undefined>) | undefined
  readonly skip: ((request: Req) => MaybePromise<boolean>) | undefined
  /** The list form of `allowList`: matches the client address only. */
  readonly allowList: ((address: string | undefined) => boolean) | undefined
  /** The function form of `allowList`: decides from the key. */
  readonly allowKey: ((key: string, request: Req) => MaybePromise<boolean>) | undefined
  readonly claim: PolicyClaim
  /** Set when capacity or refillRate is a function: the request picks its policy. */
  readonly dynamic: DynamicLimits<Req> | undefined
  readonly callbackTimeoutMs: number
  /** Set once the missing-client-address warning was given. */
  warnedNoAddress: boolean
  readonly ipv6Subnet: number | false
  readonly headers: HeaderOptions
  readonly statusCode: number
  /** A static body, serialised once; or the function building one per rejection. */
  readonly body: LimitResponse | ((decision: Decision, request: Req) => unknown) | undefined
  readonly onLimited: RateLimitOptions<Req>['onLimited']
  readonly onCallbackError: FailureMode
  readonly onStoreError: FailureMode
  readonly onError: RateLimitOptions<Req>['onError']
}

/** Capacity and rate per request: each a function or a fixed value, and the policies they made. */
export interface DynamicLimits<Req> {
  readonly capacity: number | ((request: Req) => MaybePromise<number>)
  readonly refillRate: RefillRate | ((request: Req) => MaybePromise<RefillRate>)
  readonly policies: DynamicPolicies
}

/** Which response outcomes give the tokens back, and what a success is. */
export interface CountByOutcome<Req> {
  readonly skipSuccessful: boolean
  readonly skipFailed: boolean
  readonly wasSuccessful: ((request: Req, response: unknown) => boolean) | undefined
}
