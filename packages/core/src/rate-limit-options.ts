import {
  DEFAULT_MAX_POLICIES,
  DynamicPolicies,
  type PolicyExtras,
  type PolicyVariant,
  templateLimiter,
  templatePolicy,
} from './dynamic-policies.js'
import { SpillwayConfigError } from './errors.js'
import { createIpMatcher } from './ip-match.js'
import { resolveRetryJitter } from './jitter.js'
import { buildLimiter, validateStore } from './limiter.js'
import { withLocalFallback } from './local-fallback.js'
import { MemoryStore } from './memory-store.js'
import {
  resolveAllowKey,
  resolveBody,
  resolveBoolean,
  resolveFailureMode,
  resolveStandard,
  resolveStatus,
  resolveStoreFailureMode,
  resolveSubnet,
  resolveTimeout,
  validateCost,
} from './option-values.js'
import { createPolicy, parseMaxWaitUs } from './policy.js'
import type { PolicyClaim } from './policy-claims.js'
import {
  type CountByOutcome,
  DEFAULT_CALLBACK_TIMEOUT_MS,
  type DynamicLimits,
  type FailureMode,
  type RateLimitOptions,
  type ResolvedRateLimit,
} from './rate-limit-option-types.js'
import type { Store } from './types.js'
import { type KeysEnum, optionalFunction, optionNames, rejectUnknownOptions, requireObject } from './validate.js'
import { WaitQueue } from './wait-queue.js'

export type {
  CountByOutcome,
  DynamicLimits,
  FailureMode,
  FailureStage,
  RateLimitOptions,
  RejectionBody,
  ResolvedRateLimit,
  StoreFailureMode,
} from './rate-limit-option-types.js'
export { DEFAULT_CALLBACK_TIMEOUT_MS } from './rate-limit-option-types.js'

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
