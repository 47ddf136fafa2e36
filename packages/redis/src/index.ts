// Public entry of @spillway/redis: the store, its options, the client types it takes and the scripts it runs.
export { RedisStore } from './redis-store.js'
export { DEFAULT_MAX_BATCH_SIZE, DEFAULT_PREFIX, type RedisStoreOptions } from './redis-store-options.js'
export type { RedisStoreClient } from './script-runner.js'
export { tokenBucketBatchScript, tokenBucketBatchScriptSha1 } from './token-bucket-batch-script.js'
export { tokenBucketScript, tokenBucketScriptSha1 } from './token-bucket-script.js'
