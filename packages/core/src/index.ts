// Public entry of @spillway/core: everything adapters and users may import.
export { type BucketStep, describeDecision, stepBucket } from './bucket.js'
export { type ClockUs, monotonicClockUs } from './clock.js'
export { parseDurationMs } from './duration.js'
export { SpillwayConfigError, type SpillwayErrorCode } from './errors.js'
export {
  type HeaderField,
  type HeaderOptions,
  mergeHeaderValue,
  rateLimitHeaders,
  retryAfterSeconds,
  type StandardHeaders,
} from './headers.js'
export { DEFAULT_IPV6_SUBNET, ipKey } from './ip-key.js'
export { boundedKey, MAX_RAW_KEY_LENGTH } from './keys.js'
export { createLimiter, type Limiter, type LimiterOptions, validateStore } from './limiter.js'
export { DEFAULT_MAX_KEYS, MemoryStore, type MemoryStoreOptions } from './memory-store.js'
export {
  createPolicy,
  MAX_BURST_US,
  MAX_REFILL_RATE_PER_SECOND,
  type PolicyOptions,
  type RefillRate,
} from './policy.js'
export {
  CallbackTimeoutError,
  createRequestLimiter,
  InvalidRequestInputError,
  type LimitOutcome,
  RateLimiterError,
  type RejectedOutcome,
  type RequestLimiter,
} from './rate-limit.js'
export {
  DEFAULT_CALLBACK_TIMEOUT_MS,
  type FailureMode,
  type FailureStage,
  inheritPolicyOptions,
  POLICY_DEFINING_OPTIONS,
  RATE_LIMIT_OPTION_NAMES,
  type RateLimitOptions,
  type RejectionBody,
  type ResolvedRateLimit,
  resolveRateLimitOptions,
  takeHandlerOption,
  validateSharedOptions,
} from './rate-limit-options.js'
export { cannotDecideResponse, type LimitResponse, quotaExceededProblem } from './responses.js'
export { routePolicyName } from './route-policy-name.js'
export { storeKey } from './store-key.js'
export type { Decision, Policy, StepResult, Store } from './types.js'
export {
  type KeysEnum,
  optionalFunction,
  optionNames,
  rejectUnknownOptions,
  requireObject,
  requirePositiveInteger,
  requirePositiveNumber,
} from './validate.js'
