// Public entry of @spillway/core: everything adapters and users may import.
export { type BucketStep, describeDecision, stepBucket } from './bucket.js'
export { type ClockUs, monotonicClockUs } from './clock.js'
export { parseDurationMs } from './duration.js'
export { SpillwayConfigError, type SpillwayErrorCode } from './errors.js'
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
export type { ConsumeRequest, Decision, Policy, Store } from './types.js'
