// Public entry of @spillway/core: what users call. Kits for adapter and store authors: ./adapter, ./store.

export type { BlockDuration, EscalatingBlock } from './block.js'
export { type BurstCapacityOptions, burstCapacity } from './burst.js'
export {
  type CircuitBreakerOptions,
  type CircuitBreakerStore,
  CircuitOpenError,
  type CircuitState,
  type CircuitTransition,
  withCircuitBreaker,
} from './circuit-breaker.js'
export { SpillwayConfigError, type SpillwayErrorCode } from './errors.js'
export {
  type CircuitEvent,
  type DecisionEvent,
  type DecisionOutcome,
  EVENT_CHANNELS,
  type HybridSyncEvent,
  type SpillwayEventHandlers,
  type SpillwayEventMap,
  type StoreErrorEvent,
  subscribeSpillwayEvents,
  type WaitEvent,
} from './events.js'
export type { StandardHeaders } from './headers.js'
export { DEFAULT_IPV6_SUBNET, ipKey } from './ip-key.js'
export type { RetryJitter } from './jitter.js'
export { createLimiter, type Limiter, type LimiterOptions } from './limiter.js'
export { DEFAULT_MAX_KEYS, MemoryStore, type MemoryStoreOptions } from './memory-store.js'
export type { RefillRate } from './policy.js'
export { CallbackTimeoutError, InvalidRequestInputError, RateLimiterError } from './rate-limit.js'
export type {
  FailureMode,
  FailureStage,
  RateLimitOptions,
  RejectionBody,
  StoreFailureMode,
} from './rate-limit-options.js'
export { RequestBuckets } from './request-buckets.js'
export { DEFAULT_TIMEOUT_MS, type ResilientOptions, type ResilientStore, resilient } from './resilient-store.js'
export { type FallbackOptions, withFallback } from './store-fallback.js'
export { StoreTimeoutError, type TimeoutOptions, withTimeout } from './store-timeout.js'
export type { ConsumeStep, Decision, Policy, StepResult, Store } from './types.js'
