// @spillway/core/adapter: the kit for framework adapters — the request pipeline, options, headers, responses.

export type { RawResponse } from './count-by-outcome.js'
export { mergeHeaderFields, type ReadHeader } from './header-merge.js'
export {
  type HeaderField,
  type HeaderOptions,
  mergeHeaderValue,
  rateLimitHeaders,
  retryAfterSeconds,
} from './headers.js'
export { createPolicyStack, type PolicyStack } from './policy-stack.js'
export { createProxyWarnings, type ProxyFramework, type ProxyWarnings } from './proxy-warnings.js'
export {
  createRequestLimiter,
  type LimitOutcome,
  type RateLimitHolder,
  type RecordExchange,
  type RejectedOutcome,
  type RequestLimiter,
} from './rate-limit.js'
export {
  DEFAULT_CALLBACK_TIMEOUT_MS,
  inheritPolicyOptions,
  POLICY_DEFINING_OPTIONS,
  RATE_LIMIT_OPTION_NAMES,
  type ResolvedRateLimit,
  resolveRateLimitOptions,
  takeHandlerOption,
  validateSharedOptions,
} from './rate-limit-options.js'
export { isPromiseLike, type MaybePromise } from './request-outcome.js'
export { cannotDecideResponse, type LimitResponse, quotaExceededProblem } from './responses.js'
export { routePolicyName } from './route-policy-name.js'
export { type KeysEnum, optionNames, rejectUnknownOptions, requireObject } from './validate.js'
