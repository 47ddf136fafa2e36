// Validates RedisStore options once, at construction, with core's SpillwayConfigError.
import { SpillwayConfigError } from '@spillway/core'
import { rejectUnknownOptions, requireObject } from '@spillway/core/adapter'
import type { Cluster, Redis } from 'ioredis'

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client (`Redis` or `Cluster`, ioredis ≥ 5) that the store uses but does not own.
   * Create it with `enableOfflineQueue: false`, `autoResendUnfulfilledCommands: false` and a bounded
   * `maxRetriesPerRequest`, so no decision is ever applied to Redis after it was answered.
   */
  client: Redis | Cluster
  /** Prepended to every key the store writes. Default `'spillway:'`; must not contain `{` or `}`. */
  prefix?: string
}

/** The options after validation, defaults filled in. */
export interface ResolvedRedisStoreOptions {
  readonly client: Redis | Cluster
  readonly prefix: string
}

export const DEFAULT_PREFIX = 'spillway:'
const KNOWN_OPTIONS = ['client', 'prefix']
const MAX_PREFIX_LENGTH = 256

/** Checks every option and fills in defaults; throws a {@link SpillwayConfigError} naming the first bad one. */
export function resolveRedisStoreOptions(options: unknown): ResolvedRedisStoreOptions {
  requireObject(options, 'RedisStore options')
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'RedisStore.')
  const { client, prefix } = options as { client?: unknown; prefix?: unknown }
  return { client: requireClient(client), prefix: resolvePrefix(prefix) }
}

function requireClient(client: unknown): Redis | Cluster {
  if (client === undefined || client === null) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_MISSING_OPTION',
      'RedisStore.client',
      client,
      'is required: pass an ioredis client, e.g. new Redis({ enableOfflineQueue: false })',
    )
  }
  const candidate = client as Partial<Record<'evalsha' | 'eval' | 'pipeline', unknown>>
  if (
    typeof client !== 'object' ||
    typeof candidate.evalsha !== 'function' ||
    typeof candidate.eval !== 'function' ||
    typeof candidate.pipeline !== 'function'
  ) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'RedisStore.client',
      client,
      'must be an ioredis Redis or Cluster client (with evalsha, eval and pipeline)',
    )
  }
  return client as Redis | Cluster
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
