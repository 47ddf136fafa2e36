// @spillway/core/store: the kit for store authors — bucket math, policies, key rules, clocks, validators.
export {
  type BlockedStep,
  type BlockPolicy,
  type BlockRecord,
  blockLengthUs,
  MAX_BLOCK_LEVEL,
  stepBlockedBucket,
  withBlock,
} from './block.js'
export {
  admissionWindowUs,
  type BucketStep,
  describeDecision,
  peekBucket,
  refundBucket,
  stepBucket,
} from './bucket.js'
export { settleWithin } from './budget.js'
export { type ClockUs, monotonicClockUs } from './clock.js'
export { parseDurationMs } from './duration.js'
export { errorHelp } from './errors.js'
export { publishEvent } from './events.js'
export { boundedKey, MAX_RAW_KEY_LENGTH } from './keys.js'
export { validateStore } from './limiter.js'
export {
  createPolicy,
  MAX_BURST_US,
  MAX_RATE_ROUNDING,
  MAX_REFILL_RATE_PER_SECOND,
  MAX_WAIT_MS,
  type PolicyOptions,
} from './policy.js'
export { cachedSharePolicy, MAX_FLEET_SIZE, sharePolicy } from './share-policy.js'
export { storeKey } from './store-key.js'
export {
  type KeysEnum,
  optionalFunction,
  optionNames,
  rejectUnknownOptions,
  requireObject,
  requirePositiveInteger,
  requirePositiveNumber,
} from './validate.js'
