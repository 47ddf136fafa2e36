// Validates HybridStore options once, at construction, with core's SpillwayConfigError.
import { SpillwayConfigError } from '@spillway/core'
import {
  optionalFunction,
  optionNames,
  rejectUnknownOptions,
  requireObject,
  requirePositiveInteger,
} from '@spillway/core/store'
import { RedisStore } from './redis-store.js'
import type { RedisStoreClient, ScriptRunner } from './script-runner.js'

/** Options of {@link HybridStore}. */
export interface HybridStoreOptions {
  /** The client, as `RedisStore` takes it (ioredis, iovalkey, node-redis; safe settings: no offline queue, no resends). */
  client: RedisStoreClient
  /**
   * How often the store syncs with Redis (returns unspent tokens, beats, prefetches), in ms; also the
   * lease lifetime L: a lease is spent only within this long of its request. Default 1000; 10–60000.
   */
  syncIntervalMs?: number
  /** Prepended to every key, as `RedisStore`'s (same buckets: both stores may share a prefix). Default `'spillway:'`. */
  prefix?: string
  /**
   * The time budget of one script call, in ms: a call not answered by then fails (its leases are lost,
   * never resent) and the store decides on its local share until Redis answers a sync. Default 250,
   * at most `syncIntervalMs`.
   */
  timeoutMs?: number
  /** Called with the error of each failed call (keep it cheap); throws are ignored. */
  onError?: (error: unknown) => void
}

/** The options after validation, defaults filled in. */
export interface ResolvedHybridStoreOptions {
  readonly client: RedisStoreClient
  readonly runner: ScriptRunner
  readonly prefix: string
  readonly keySpace: object
  readonly syncIntervalMs: number
  readonly timeoutMs: number
  readonly onError: ((error: unknown) => void) | undefined
}

export const DEFAULT_SYNC_INTERVAL_MS = 1000
export const DEFAULT_HYBRID_TIMEOUT_MS = 250
const MIN_SYNC_INTERVAL_MS = 10
const MAX_SYNC_INTERVAL_MS = 60_000
const KNOWN_OPTIONS = optionNames<HybridStoreOptions>({
  client: true,
  syncIntervalMs: true,
  prefix: true,
  timeoutMs: true,
  onError: true,
})

/** Checks every option and fills in defaults; throws a {@link SpillwayConfigError} naming the first bad one. */
export function resolveHybridStoreOptions(options: unknown): ResolvedHybridStoreOptions {
  requireObject(options, 'HybridStore options')
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'HybridStore.')
  const given = options as Partial<Record<keyof HybridStoreOptions, unknown>>
  // The Redis side is RedisStore's: same client checks, same prefix rules, the same key space object.
  const redis = redisStoreFor(given.client, given.prefix)
  const syncIntervalMs = resolveSyncInterval(given.syncIntervalMs)
  return {
    client: redis.client,
    runner: redis.runner,
    prefix: redis.prefix,
    keySpace: redis.keySpace,
    syncIntervalMs,
    timeoutMs: resolveTimeout(given.timeoutMs, syncIntervalMs),
    onError: optionalFunction(given.onError, 'HybridStore.onError'),
  }
}

function redisStoreFor(client: unknown, prefix: unknown): RedisStore {
  try {
    return new RedisStore({
      client: client as RedisStoreClient,
      ...(prefix !== undefined && { prefix: prefix as string }),
    })
  } catch (error) {
    if (!(error instanceof SpillwayConfigError)) throw error
    throw new SpillwayConfigError(
      error.code,
      error.option.replace(/^RedisStore\./, 'HybridStore.'),
      error.value,
      expectationOf(error),
    )
  }
}

/** The middle of a SpillwayConfigError message: `[spillway] <option> <expectation>, got <value> (…)`. */
function expectationOf(error: SpillwayConfigError): string {
  const text = error.message.slice(`[spillway] ${error.option} `.length)
  const end = text.lastIndexOf(', got ')
  return end < 0 ? text : text.slice(0, end)
}

function resolveSyncInterval(value: unknown): number {
  if (value === undefined) return DEFAULT_SYNC_INTERVAL_MS
  const ms = requirePositiveInteger(value, 'HybridStore.syncIntervalMs')
  if (ms < MIN_SYNC_INTERVAL_MS || ms > MAX_SYNC_INTERVAL_MS) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'HybridStore.syncIntervalMs',
      value,
      `must be a whole number of ms from ${MIN_SYNC_INTERVAL_MS} to ${MAX_SYNC_INTERVAL_MS}`,
    )
  }
  return ms
}

function resolveTimeout(value: unknown, syncIntervalMs: number): number {
  if (value === undefined) return Math.min(DEFAULT_HYBRID_TIMEOUT_MS, syncIntervalMs)
  const ms = requirePositiveInteger(value, 'HybridStore.timeoutMs')
  if (ms > syncIntervalMs) {
    throw new SpillwayConfigError(
      'ERR_SPILLWAY_INVALID_OPTION',
      'HybridStore.timeoutMs',
      value,
      `must be a whole number of ms from 1 to syncIntervalMs (${syncIntervalMs})`,
    )
  }
  return ms
}
