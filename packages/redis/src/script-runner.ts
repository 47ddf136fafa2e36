// One small command interface over every supported Redis client: run a Lua script by SHA or by source.
import { SpillwayConfigError } from '@spillway/core'

/** An argument of a script call: numbers are sent as their decimal digits. */
export type ScriptArg = string | number

/**
 * What every store feature needs from a Redis client, whichever client it is. Built by
 * {@link adaptClient}; features (the token bucket, batches, heartbeats) are written once against it.
 */
export interface ScriptRunner {
  /** `'ioredis'` (ioredis or iovalkey, whose API is ioredis's) or `'node-redis'` (`redis` / `@redis/client`). */
  readonly kind: 'ioredis' | 'node-redis'
  /** True for a Cluster client: every call must keep its keys in one hash slot. */
  readonly isCluster: boolean
  /** `EVALSHA sha1 numkeys ...keys ...args`. */
  evalsha(sha1: string, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>
  /** `EVAL script numkeys ...keys ...args`. */
  eval(script: string, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>
  /** The client settings that could apply a command after its caller was answered (empty when safe). */
  replayRisks(): string[]
  /** The settings to create this kind of client with, for warnings and docs. */
  readonly safeSettings: string
}

/** An ioredis ≥ 5 or iovalkey client: `Redis` or `Cluster`. */
export interface IoredisLikeClient {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>
  eval(script: string, numKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>
}

/** The `keys` and `arguments` of a node-redis script call. */
export interface NodeRedisEvalOptions {
  keys: string[]
  arguments: string[]
}

/** A node-redis v5 client (`createClient()`) or cluster (`createCluster()`), from `redis` or `@redis/client`. */
export interface NodeRedisLikeClient {
  evalSha(sha1: string, options: NodeRedisEvalOptions): Promise<unknown>
  eval(script: string, options: NodeRedisEvalOptions): Promise<unknown>
}

/** Every client `RedisStore` accepts. */
export type RedisStoreClient = IoredisLikeClient | NodeRedisLikeClient

const runners = new WeakMap<object, ScriptRunner>()

/**
 * Wraps a Redis client in a {@link ScriptRunner} (one per client, cached). Accepts ioredis and
 * iovalkey (`Redis`, `Cluster`) and node-redis v5 (`createClient`, `createCluster`); anything else
 * throws a `SpillwayConfigError` (`ERR_SPILLWAY_INVALID_OPTION`) naming `option`.
 *
 * @example
 * ```ts
 * const runner = adaptClient(createClient({ disableOfflineQueue: true }))
 * const reply = await runner.evalsha(sha1, ['spillway:hb:{fleet}'], [Date.now()])
 * ```
 */
export function adaptClient(client: unknown, option = 'RedisStore.client'): ScriptRunner {
  if (typeof client !== 'object' || client === null) throw unsupported(client, option)
  const cached = runners.get(client)
  if (cached !== undefined) return cached
  const runner = nodeRedisRunner(client) ?? ioredisRunner(client)
  if (runner === undefined) throw unsupported(client, option)
  runners.set(client, runner)
  return runner
}

function unsupported(client: unknown, option: string): SpillwayConfigError {
  return new SpillwayConfigError(
    'ERR_SPILLWAY_INVALID_OPTION',
    option,
    client,
    'must be an ioredis or iovalkey client (Redis or Cluster) or a node-redis v5 client ' +
      '(createClient or createCluster from redis or @redis/client)',
  )
}

const hasMethods = (client: object, names: readonly string[]) =>
  names.every((name) => typeof (client as Record<string, unknown>)[name] === 'function')

/** ioredis and iovalkey: positional `evalsha(sha, numkeys, ...keys, ...args)`; `isCluster` on the instance. */
function ioredisRunner(client: object): ScriptRunner | undefined {
  if (!hasMethods(client, ['evalsha', 'eval'])) return undefined
  const io = client as IoredisLikeClient & { isCluster?: unknown }
  return {
    kind: 'ioredis',
    isCluster: io.isCluster === true,
    evalsha: (sha1, keys, args) => io.evalsha(sha1, keys.length, ...keys, ...args),
    eval: (script, keys, args) => io.eval(script, keys.length, ...keys, ...args),
    replayRisks: () => ioredisReplayRisks(client),
    safeSettings: '{ enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 }',
  }
}

type IoredisReplayOptions = {
  enableOfflineQueue?: boolean
  autoResendUnfulfilledCommands?: boolean
  maxRetriesPerRequest?: number | null
  redisOptions?: IoredisReplayOptions
}

function ioredisReplayRisks(client: object): string[] {
  const options = (client as { options?: IoredisReplayOptions }).options ?? {}
  const node = options.redisOptions ?? options
  const risks: string[] = []
  if (options.enableOfflineQueue !== false) risks.push('enableOfflineQueue is not false')
  if (node.autoResendUnfulfilledCommands !== false) risks.push('autoResendUnfulfilledCommands is not false')
  if (node.maxRetriesPerRequest === null) risks.push('maxRetriesPerRequest is null (unbounded)')
  return risks
}

/**
 * node-redis v5: `evalSha(sha, { keys, arguments })` with string arguments. A cluster (`createCluster`)
 * has `masters` and routes a script by its first key. node-redis never resends a command that was
 * written (it rejects them on a socket error); its offline queue is the only replay, off with
 * `disableOfflineQueue: true` (on a cluster: in `defaults`).
 */
function nodeRedisRunner(client: object): ScriptRunner | undefined {
  if (!hasMethods(client, ['evalSha', 'eval', 'sendCommand'])) return undefined
  const node = client as NodeRedisLikeClient
  const options = (keys: readonly string[], args: readonly ScriptArg[]) => ({
    keys: keys as string[],
    arguments: args.map(String),
  })
  const isCluster = 'masters' in client
  return {
    kind: 'node-redis',
    isCluster,
    evalsha: (sha1, keys, args) => node.evalSha(sha1, options(keys, args)),
    eval: (script, keys, args) => node.eval(script, options(keys, args)),
    replayRisks: () => nodeRedisReplayRisks(client, isCluster),
    safeSettings: isCluster
      ? 'createCluster({ defaults: { disableOfflineQueue: true } })'
      : 'createClient({ disableOfflineQueue: true })',
  }
}

type NodeRedisReplayOptions = { disableOfflineQueue?: boolean }

function nodeRedisReplayRisks(client: object, isCluster: boolean): string[] {
  const options = isCluster
    ? (client as { _options?: { defaults?: NodeRedisReplayOptions } })._options?.defaults
    : (client as { options?: NodeRedisReplayOptions }).options
  return options?.disableOfflineQueue === true ? [] : ['disableOfflineQueue is not true']
}
