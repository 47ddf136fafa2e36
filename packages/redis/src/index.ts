// Public entry of @spillway/redis: the store, its options, the scripts it runs and the client interface.
export { RedisStore } from './redis-store.js'
export { DEFAULT_MAX_BATCH_SIZE, DEFAULT_PREFIX, type RedisStoreOptions } from './redis-store-options.js'
export { isNoScript, type LuaScript, runScript } from './run-script.js'
export {
  adaptClient,
  type IoredisLikeClient,
  type NodeRedisEvalOptions,
  type NodeRedisLikeClient,
  type RedisStoreClient,
  type ScriptArg,
  type ScriptRunner,
} from './script-runner.js'
export {
  tokenBucketBatchScript,
  tokenBucketBatchScriptSha1,
} from './token-bucket-batch-script.js'
export { tokenBucketScript, tokenBucketScriptSha1 } from './token-bucket-script.js'
