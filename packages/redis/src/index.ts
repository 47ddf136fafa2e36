// Public entry of @spillway/redis: the store, its options, the client types it takes and the scripts it runs.

export {
  peekBucketScript,
  peekBucketScriptSha1,
  refundBucketScript,
  refundBucketScriptSha1,
  resetBucketScript,
  resetBucketScriptSha1,
} from './bucket-admin-scripts.js'
export { redisNodeOf } from './cluster-partition.js'
export {
  DEFAULT_FLEET_KEY,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  type FleetHeartbeat,
  type FleetHeartbeatOptions,
  heartbeatScript,
  heartbeatScriptSha1,
  startFleetHeartbeat,
} from './fleet-heartbeat.js'
export { hybridLeaseScript, hybridLeaseScriptSha1 } from './hybrid-lease-script.js'
export { HybridStore } from './hybrid-store.js'
export {
  DEFAULT_HYBRID_TIMEOUT_MS,
  DEFAULT_SYNC_INTERVAL_MS,
  type HybridStoreOptions,
} from './hybrid-store-options.js'
export { RedisStore } from './redis-store.js'
export { DEFAULT_MAX_BATCH_SIZE, DEFAULT_PREFIX, type RedisStoreOptions } from './redis-store-options.js'
export type { RedisStoreClient } from './script-runner.js'
export { tokenBucketAllScript, tokenBucketAllScriptSha1 } from './token-bucket-all-script.js'
export { tokenBucketBatchScript, tokenBucketBatchScriptSha1 } from './token-bucket-batch-script.js'
export { tokenBucketBlockScript, tokenBucketBlockScriptSha1 } from './token-bucket-block-script.js'
export { tokenBucketScript, tokenBucketScriptSha1 } from './token-bucket-script.js'
