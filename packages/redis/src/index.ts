// Public entry of @spillway/redis: the store, its options and the script it runs.
export { RedisStore } from './redis-store.js'
export { DEFAULT_PREFIX, type RedisStoreOptions } from './redis-store-options.js'
export { tokenBucketScript, tokenBucketScriptSha1 } from './token-bucket-script.js'
