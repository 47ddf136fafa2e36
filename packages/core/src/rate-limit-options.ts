// Options shared by every adapter, validated once: the same names in Express, Fastify and Koa.
import type { BlockDuration } from './block.js'
import {
  DEFAULT_MAX_POLICIES,
  DynamicPolicies,
  type PolicyExtras,
  type PolicyVariant,
  templateLimiter,
  templatePolicy,
} from './dynamic-policies.js'
import { SpillwayConfigError } from './errors.js'
import type { HeaderOptions, StandardHeaders } from './headers.js'
import { DEFAULT_IPV6_SUBNET } from './ip-key.js'
import { createIpMatcher } from './ip-match.js'
import { type RetryJitter, resolveRetryJitter } from './jitter.js'
import { buildLimiter, type Limiter, validateStore } from './limiter.js'
import { withLocalFallback } from './local-fallback.js'
import { MemoryStore } from './memory-store.js'
import { createPolicy, parseMaxWaitUs, type RefillRate } from './policy.js'
import type { PolicyClaim } from './policy-claims.js'
import type { BucketActions } from './request-buckets.js'
import { type LimitResponse, serializeBody } from './responses.js'
import type { Decision, Store } from './types.js'
import { type KeysEnum, optionalFunction, optionNames, rejectUnknownOptions, requireObject } from './validate.js'
import { WaitQueue } from './wait-queue.js'

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

/** Every option name `rateLimit` accepts, kept complete by the compiler; adapters add their own (e.g. `handler`). */
const RATE_LIMIT_OPTION_KEYS: KeysEnum<RateLimitOptions<unknown>> = {
  capacity: true,
  refillRate: true,
  maxPolicies: true,
  store: true,
  name: true,
  cost: true,
  maxWait: true,
  blockDuration: true,
  key: true,
  skip: true,
  allowList: true,
  ipv6Subnet: true,
  standardHeaders: true,
  legacyHeaders: true,
  retryJitter: true,
  statusCode: true,
  body: true,
  callbackTimeoutMs: true,
  skipSuccessfulRequests: true,
  skipFailedRequests: true,
  requestWasSuccessful: true,
  onLimited: true,
  onCallbackError: true,
  onStoreError: true,
  onError: true,
}

/** Every option name `rateLimit` accepts. */
export const RATE_LIMIT_OPTION_NAMES = optionNames(RATE_LIMIT_OPTION_KEYS)

/**
 * The options that define a policy (its bucket shape, name and cost): a route policy sets its own and
 * never inherits them from shared defaults.
 */
export const POLICY_DEFINING_OPTIONS = ['capacity', 'refillRate', 'name', 'cost', 'blockDuration'] as const

/**
 * Validates adapter options once, at construction; throws {@link SpillwayConfigError} naming the bad option.
 *
 * @example
 * ```ts
 * const resolved = resolveRateLimitOptions({ capacity: 10, refillRate: 1 })
 * ```
 */
export function resolveRateLimitOptions<Req>(options: RateLimitOptions<Req>): ResolvedRateLimit<Req> {
  requireObject(options, 'options')
  rejectUnknownOptions(options, RATE_LIMIT_OPTION_NAMES)
  const given = 'store' in options ? validateStore(options.store) : new MemoryStore()
  const storeMode = resolveStoreFailureMode(options.onStoreError, given)
  const store = storeMode === 'local' ? withLocalFallback(given) : given
  const limits = resolveLimits(options, store)
  // The local fallback decides whenever the store cannot: a failure reaching the pipeline is unexpected.
  const onStoreError = storeMode === 'local' ? 'allow' : storeMode
  return {
    ...limits,
    waits: limits.limiter.policy.maxWaitUs === undefined ? undefined : new WaitQueue(),
    ...resolveRequestOptions(options),
    onStoreError,
  }
}

/** The policy when capacity and rate are fixed; a template and its variants when either is a function. */
function resolveLimits<Req>(
  options: RateLimitOptions<Req>,
  store: Store,
): PolicyVariant & { dynamic: DynamicLimits<Req> | undefined } {
  const { capacity, refillRate, name, blockDuration, maxWait } = options
  const staticCost = typeof options.cost === 'number' ? options.cost : undefined
  // What every policy of these options shares besides its shape.
  const extras: PolicyExtras = {
    ...(blockDuration !== undefined && { blockDuration }),
    ...(maxWait !== undefined && { maxWait }),
  }
  if (typeof capacity !== 'function' && typeof refillRate !== 'function') {
    resolveMaxPolicies(options.maxPolicies) // checked, unused: shared defaults may set it for every policy
    const built = buildLimiter({ capacity, refillRate, name, store, cost: staticCost, ...extras })
    const actions = { limiter: built.limiter, giveBack: built.giveBack }
    return { limiter: built.limiter, decide: built.decide, claim: built.claim, actions, dynamic: undefined }
  }
  const template = templatePolicy(name, extras)
  const maxPolicies = resolveMaxPolicies(options.maxPolicies)
  const policies = new DynamicPolicies({ name: template.name, store, cost: staticCost, extras, maxPolicies })
  // Fixed parts are checked now: a bad fixed capacity or rate fails at construction, not per request.
  if (typeof capacity !== 'function') createPolicy({ capacity, refillRate: 1 })
  if (typeof refillRate !== 'function') createPolicy({ capacity: 1, refillRate })
  const limiter = templateLimiter(template, store, staticCost ?? 1)
  const decide = () => Promise.reject(new TypeError('[spillway] a template policy never decides'))
  const claim: PolicyClaim = { shared: false, policy: template }
  return {
    limiter,
    decide,
    claim,
    actions: { limiter, giveBack: () => decide() },
    dynamic: { capacity, refillRate, policies },
  }
}

function resolveMaxPolicies(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_POLICIES
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= 100_000) return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'maxPolicies',
    value,
    'must be a whole number from 1 to 100000',
  )
}

/**
 * Validates shared defaults that route policies will inherit (Fastify's `global: false`, Express's and
 * Koa's `rateLimit.withDefaults`), now rather than at the first route: every option but the ones that
 * define a policy, which are rejected here (`ERR_SPILLWAY_POLICY_OPTION_NOT_SHARED`).
 *
 * @example
 * ```ts
 * validateSharedOptions({ store, standardHeaders: 'draft-6' })
 * ```
 */
export function validateSharedOptions<Req, Res = unknown>(shared: Partial<RateLimitOptions<Req, Res>>): void {
  requireObject(shared, 'options')
  rejectUnknownOptions(shared, RATE_LIMIT_OPTION_NAMES)
  for (const option of POLICY_DEFINING_OPTIONS) {
    if (option in shared) {
      throw new SpillwayConfigError(
        'ERR_SPILLWAY_POLICY_OPTION_NOT_SHARED',
        option,
        shared[option],
        'defines a policy and is not inherited from shared defaults: set it on each policy',
      )
    }
  }
  const store = 'store' in shared ? validateStore(shared.store) : undefined
  if ('onStoreError' in shared)
    resolveStoreFailureMode(shared.onStoreError, store ?? { name: 'any', consume: () => Promise.reject() })
  if (shared.maxWait !== undefined) parseMaxWaitUs(shared.maxWait)
  resolveRequestOptions(shared as Partial<RateLimitOptions<Req>>)
}

/**
 * A route policy's options: the shared defaults minus the options that define a policy, then its own.
 *
 * @example
 * ```ts
 * inheritPolicyOptions({ store, key }, { capacity: 5, refillRate: 1 }) // { store, key, capacity: 5, refillRate: 1 }
 * ```
 */
export function inheritPolicyOptions<Options extends object>(shared: Partial<Options>, own: Options): Options {
  const inherited = Object.fromEntries(
    Object.entries(shared).filter(([name]) => !(POLICY_DEFINING_OPTIONS as readonly string[]).includes(name)),
  )
  return { ...inherited, ...own }
}

/** Everything but the policy: what a request limiter needs besides its limiter. */
function resolveRequestOptions<Req>(
  options: Partial<RateLimitOptions<Req>>,
): Omit<ResolvedRateLimit<Req>, 'limiter' | 'claim' | 'decide' | 'actions' | 'dynamic' | 'waits'> {
  const statusCode = resolveStatus(options.statusCode)
  return {
    costFunction: typeof options.cost === 'function' ? options.cost : validateCost(options.cost),
    keyFunction: optionalFunction(options.key, 'key'),
    skip: optionalFunction(options.skip, 'skip'),
    allowList: Array.isArray(options.allowList) ? createIpMatcher(options.allowList, 'allowList') : undefined,
    allowKey: resolveAllowKey(options.allowList),
    ipv6Subnet: resolveSubnet(options.ipv6Subnet),
    headers: {
      standard: resolveStandard(options.standardHeaders),
      legacy: resolveBoolean(options.legacyHeaders, 'legacyHeaders'),
      jitterMaxMs: resolveRetryJitter(options.retryJitter),
    },
    statusCode,
    body: resolveBody(options.body, statusCode),
    callbackTimeoutMs: resolveTimeout(options.callbackTimeoutMs, 'callbackTimeoutMs', DEFAULT_CALLBACK_TIMEOUT_MS),
    warnedNoAddress: false,
    rejectionCache: new Map(),
    countByOutcome: resolveCountByOutcome(options),
    onLimited: optionalFunction(options.onLimited, 'onLimited'),
    onCallbackError: resolveFailureMode(options.onCallbackError, 'onCallbackError', 'error') as FailureMode,
    onStoreError: 'allow',
    onError: optionalFunction(options.onError, 'onError'),
  }
}

function resolveCountByOutcome<Req>(options: Partial<RateLimitOptions<Req>>): CountByOutcome<Req> | undefined {
  const skipSuccessful = resolveBoolean(options.skipSuccessfulRequests, 'skipSuccessfulRequests')
  const skipFailed = resolveBoolean(options.skipFailedRequests, 'skipFailedRequests')
  const wasSuccessful = optionalFunction<(request: Req, response: unknown) => boolean>(
    options.requestWasSuccessful,
    'requestWasSuccessful',
  )
  if (!skipSuccessful && !skipFailed) return undefined
  return { skipSuccessful, skipFailed, wasSuccessful }
}

function validateCost(cost: unknown): undefined {
  if (cost === undefined || typeof cost === 'number') return undefined
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'cost', cost, 'must be a number or a function')
}

function resolveAllowKey<Req>(value: RateLimitOptions<Req>['allowList']): ResolvedRateLimit<Req>['allowKey'] {
  if (value === undefined || Array.isArray(value)) return undefined
  if (typeof value === 'function') return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'allowList',
    value,
    'must be an array of IP addresses and CIDR blocks, or a function of the key',
  )
}

/** A static body is serialised now, so one that cannot be (a BigInt, a cycle) fails here, not at the first 429. */
function resolveBody<Req>(value: unknown, statusCode: number): ResolvedRateLimit<Req>['body'] {
  if (value === undefined) return undefined
  if (typeof value === 'function') return value as (decision: Decision, request: Req) => unknown
  try {
    return serializeBody(statusCode, value, false)
  } catch (error) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'body',
      value,
      `must be a string, a JSON-serialisable value or a function (${(error as Error).message})`,
    )
  }
}

function resolveTimeout(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 2_147_483_647) return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    option,
    value,
    'must be a whole number of milliseconds ≥ 1',
  )
}

function resolveSubnet(value: unknown): number | false {
  if (value === undefined) return DEFAULT_IPV6_SUBNET
  if (value === false || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 128)) {
    return value as number | false
  }
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'ipv6Subnet',
    value,
    'must be a whole number from 1 to 128, or false',
  )
}

function resolveStandard(value: unknown): StandardHeaders {
  if (value === undefined) return 'draft-11'
  if (value === false || value === 'draft-11' || value === 'draft-10' || value === 'draft-6') return value
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'standardHeaders',
    value,
    "must be 'draft-11', 'draft-10', 'draft-6' or false",
  )
}

function resolveBoolean(value: unknown, option: string): boolean {
  if (value === undefined) return false
  if (typeof value === 'boolean') return value
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be true or false')
}

function resolveStatus(value: unknown): number {
  if (value === undefined) return 429
  if (Number.isInteger(value) && (value as number) >= 400 && (value as number) <= 599) return value as number
  throw new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    'statusCode',
    value,
    'must be an HTTP error status from 400 to 599',
  )
}

function resolveStoreFailureMode(value: unknown, store: Store): StoreFailureMode {
  if (value === 'local') return value
  return resolveFailureMode(value, 'onStoreError', store.remote === true ? 'local' : 'allow', " or 'local'")
}

function resolveFailureMode(value: unknown, option: string, fallback: StoreFailureMode, more = ''): StoreFailureMode {
  if (value === undefined) return fallback
  if (value === 'error' || value === 'allow' || value === 'deny') return value
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, `must be 'error', 'allow', 'deny'${more}`)
}

/**
 * Takes an adapter's own `handler` option out of its options, checking that it is a function; the rest
 * goes to {@link createRequestLimiter}, which validates it (and rejects what is not an object).
 *
 * @example
 * ```ts
 * const { handler, rest } = takeHandlerOption(options)
 * const limiter = createRequestLimiter(rest)
 * ```
 */
export function takeHandlerOption<Options extends { handler?: unknown }>(
  options: Options,
): { handler: Options['handler'] | undefined; rest: Omit<Options, 'handler'> } {
  if (options === null || typeof options !== 'object') return { handler: undefined, rest: options }
  const { handler, ...rest } = options
  if (handler !== undefined && typeof handler !== 'function') {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', 'handler', handler, 'must be a function')
  }
  return { handler, rest }
}
