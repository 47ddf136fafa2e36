// Options shared by every adapter, validated once: the same names in Express, Fastify and Koa.
import { SpillwayConfigError } from './errors.js'
import type { HeaderOptions, StandardHeaders } from './headers.js'
import { DEFAULT_IPV6_SUBNET } from './ip-key.js'
import { createIpMatcher } from './ip-match.js'
import { type RetryJitter, resolveRetryJitter } from './jitter.js'
import { buildLimiter, type Limiter, validateStore } from './limiter.js'
import { MemoryStore } from './memory-store.js'
import type { RefillRate } from './policy.js'
import type { PolicyClaim } from './policy-claims.js'
import { type LimitResponse, serializeBody } from './responses.js'
import type { Decision, Store } from './types.js'
import { type KeysEnum, optionalFunction, optionNames, rejectUnknownOptions, requireObject } from './validate.js'

type MaybePromise<T> = T | Promise<T>

/** What to do when the key, cost or skip function throws, or the store fails. */
export type FailureMode = 'error' | 'allow' | 'deny'

/** Where a failure happened, for {@link RateLimitOptions.onError}. */
export type FailureStage = 'key' | 'cost' | 'skip' | 'allowList' | 'store' | 'hook' | 'body'

/** The body of a rejection: a string (sent as text), a value sent as JSON, or a function of the decision. */
export type RejectionBody<Req> = string | number | boolean | object | ((decision: Decision, request: Req) => unknown)

/** Default time a user function's promise has to settle: {@link RateLimitOptions.callbackTimeoutMs}. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 1000

/**
 * Options of `rateLimit(opts)` in every adapter. `Req` is the framework's request
 * (Express `Request`, Fastify `FastifyRequest`, Koa `Context`).
 */
export interface RateLimitOptions<Req> {
  /** B: the most tokens a bucket holds, i.e. the largest burst. */
  capacity: number
  /** R: tokens per second, or `{ tokens: 100, per: '1m' }`. */
  refillRate: RefillRate
  /** Where buckets live. Default: a new in-process `MemoryStore` (one per `rateLimit` call). */
  store?: Store
  /** Policy name: shown in headers, and its own key space. Default `'default'`. */
  name?: string
  /** Tokens a request takes: a number, or a function of the request. Default 1. */
  cost?: number | ((request: Req) => MaybePromise<number>)
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
  /** Called on each rejection, before the response is written; not awaited. Errors it throws or rejects with are reported to `onError`. */
  onLimited?: (decision: Decision, request: Req) => unknown
  /** When `key`, `cost` or `skip` throws or rejects: pass the error on (default), let the request through, or deny (503). */
  onCallbackError?: FailureMode
  /** When the store fails: let the request through (default), deny it (503), or pass the error on. */
  onStoreError?: FailureMode
  /** Called with every error the limiter absorbs or passes on, so it can be logged; not awaited, its own errors are ignored. */
  onError?: (error: unknown, context: { stage: FailureStage; request: Req }) => unknown
}

/** Options after validation, with defaults applied. */
export interface ResolvedRateLimit<Req> {
  readonly limiter: Limiter
  /** The limiter's decision for a valid key and cost, synchronous when the store can answer at once. */
  readonly decide: (key: string, cost: number) => Decision | Promise<Decision>
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

/** Every option name `rateLimit` accepts, kept complete by the compiler; adapters add their own (e.g. `handler`). */
const RATE_LIMIT_OPTION_KEYS: KeysEnum<RateLimitOptions<unknown>> = {
  capacity: true,
  refillRate: true,
  store: true,
  name: true,
  cost: true,
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
export const POLICY_DEFINING_OPTIONS = ['capacity', 'refillRate', 'name', 'cost'] as const

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
  const { capacity, refillRate, name } = options
  const staticCost = typeof options.cost === 'number' ? options.cost : undefined
  const store = 'store' in options ? options.store : new MemoryStore()
  const built = buildLimiter({ capacity, refillRate, name, store: store as Store, cost: staticCost })
  return { ...built, ...resolveRequestOptions(options) }
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
export function validateSharedOptions<Req>(shared: Partial<RateLimitOptions<Req>>): void {
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
  if ('store' in shared) validateStore(shared.store)
  resolveRequestOptions(shared)
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
): Omit<ResolvedRateLimit<Req>, 'limiter' | 'claim' | 'decide'> {
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
    onLimited: optionalFunction(options.onLimited, 'onLimited'),
    onCallbackError: resolveFailureMode(options.onCallbackError, 'onCallbackError', 'error'),
    onStoreError: resolveFailureMode(options.onStoreError, 'onStoreError', 'allow'),
    onError: optionalFunction(options.onError, 'onError'),
  }
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

function resolveFailureMode(value: unknown, option: string, fallback: FailureMode): FailureMode {
  if (value === undefined) return fallback
  if (value === 'error' || value === 'allow' || value === 'deny') return value
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, "must be 'error', 'allow' or 'deny'")
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
