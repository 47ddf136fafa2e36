// Validates RedisStore options once, at construction, with core's SpillwayConfigError.
import { SpillwayConfigError } from '@spillway/core'
import { optionNames, rejectUnknownOptions, requireObject } from '@spillway/core/store'
import { adaptClient, type RedisStoreClient, type ScriptRunner } from './script-runner.js'

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The client the store uses but does not own: ioredis ≥ 5 or iovalkey (`Redis` or `Cluster`), or
   * node-redis v5 (`createClient()` or `createCluster()` from `redis` or `@redis/client`). Create it
   * so that no decision is ever applied to Redis after it was answered: see the README's safe
   * settings per client (no offline queue, no resends).
   */
  client: RedisStoreClient
  /** Prepended to every key the store writes. Default `'spillway:'`; must not contain `{` or `}`. */
  prefix?: string
  /**
   * Decide the decisions that arrive within one tick with one script call (per Cluster slot), and the
   * all-or-nothing decisions of requests under several policies (`consumeAll`) with another.
   * Default `true`; `false` sends one `EVALSHA` per decision.
   */
  batch?: boolean
  /**
   * Most decisions in one script call (a request under several policies is never split: it may go alone
   * in a larger call). Default 128; a whole number from 1 to 1000.
   */
  maxBatchSize?: number
  /**
   * Learn N, the processes sharing this Redis and prefix, from a heartbeat (one small script call per
   * process per second into `<prefix>fleet`, started at the first decision): when Redis fails, each
   * process decides on its share `(B/N, R/N)`. Default `true`.
   */
  heartbeat?: boolean
}

/** The options after validation, defaults filled in. */
export interface ResolvedRedisStoreOptions {
  readonly client: RedisStoreClient
  readonly runner: ScriptRunner
  readonly prefix: string
  readonly batch: boolean
  readonly maxBatchSize: number
  readonly heartbeat: boolean
}

export const DEFAULT_PREFIX = 'spillway:'
export const DEFAULT_MAX_BATCH_SIZE = 128
const MAX_BATCH_SIZE_LIMIT = 1000
const KNOWN_OPTIONS = optionNames<RedisStoreOptions>({
  client: true,
  prefix: true,
  batch: true,
  maxBatchSize: true,
  heartbeat: true,
})
const MAX_PREFIX_LENGTH = 256

/** Checks every option and fills in defaults; throws a {@link SpillwayConfigError} naming the first bad one. */
export function resolveRedisStoreOptions(options: unknown): ResolvedRedisStoreOptions {
  requireObject(options, 'RedisStore options')
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'RedisStore.')
  const { client, prefix, batch, maxBatchSize, heartbeat } = options as Partial<
    Record<keyof RedisStoreOptions, unknown>
  >
  const runner = requireClient(client)
  return {
    client: client as RedisStoreClient,
    runner,
    prefix: resolvePrefix(prefix),
    batch: resolveSwitch(batch, 'RedisStore.batch'),
    maxBatchSize: resolveMaxBatchSize(maxBatchSize),
    heartbeat: resolveSwitch(heartbeat, 'RedisStore.heartbeat'),
  }
}

function requireClient(client: unknown): ScriptRunner {
  if (client === undefined || client === null) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_MISSING_OPTION',
      'RedisStore.client',
      client,
      'is required: pass an ioredis, iovalkey or node-redis client, e.g. new Redis({ enableOfflineQueue: false })',
    )
  }
  return adaptClient(client, 'RedisStore.client')
}

function resolvePrefix(prefix: unknown): string {
  if (prefix === undefined) return DEFAULT_PREFIX
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH || /[{}]/.test(prefix)) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'RedisStore.prefix',
      prefix,
      `must be a string of at most ${MAX_PREFIX_LENGTH} characters without { or } (the key's hash tag is the client key)`,
    )
  }
  return prefix
}

function resolveMaxBatchSize(size: unknown): number {
  if (size === undefined) return DEFAULT_MAX_BATCH_SIZE
  if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > MAX_BATCH_SIZE_LIMIT) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'RedisStore.maxBatchSize',
      size,
      `must be a whole number from 1 to ${MAX_BATCH_SIZE_LIMIT}`,
    )
  }
  return size as number
}

function resolveSwitch(value: unknown, option: string): boolean {
  if (value === undefined) return true
  if (typeof value === 'boolean') return value
  throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be true or false')
}
