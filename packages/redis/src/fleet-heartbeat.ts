// FleetHeartbeat: each process beats once per interval into a sorted set; N = the members seen recently.
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { SpillwayConfigError } from '@spillway/core'
import {
  optionalFunction,
  optionNames,
  rejectUnknownOptions,
  requireObject,
  requirePositiveInteger,
} from '@spillway/core/store'
import { type LuaScript, runScript } from './run-script.js'
import { adaptClient, type RedisStoreClient, type ScriptRunner } from './script-runner.js'

/**
 * One beat: `ZADD` this process at Redis `TIME` (ms), drop members older than `ARGV[2]` ms, keep the
 * set for twice that, return `ZCARD` (the live processes, this one included).
 * `KEYS[1]`: the set; `ARGV`: process id, stale-after ms.
 */
export const heartbeatScript = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local staleMs = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', nowMs), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%.0f', nowMs - staleMs))
redis.call('PEXPIRE', KEYS[1], staleMs * 2)
return redis.call('ZCARD', KEYS[1])
`
export const heartbeatScriptSha1 = createHash('sha1').update(heartbeatScript).digest('hex')

const HEARTBEAT: LuaScript = { source: heartbeatScript, sha1: heartbeatScriptSha1 }
const leaveScript = "return redis.call('ZREM', KEYS[1], ARGV[1])"
const LEAVE: LuaScript = { source: leaveScript, sha1: createHash('sha1').update(leaveScript).digest('hex') }

/** Options of {@link startFleetHeartbeat}. */
export interface FleetHeartbeatOptions {
  /** A client `RedisStore` accepts (ioredis, iovalkey, node-redis); the heartbeat uses it and does not own it. */
  client: RedisStoreClient
  /** The sorted set every process of one fleet beats into. Default `'spillway:fleet'`. */
  key?: string
  /** How often to beat, in ms. Default 1000. A process unseen for 3 intervals no longer counts. */
  intervalMs?: number
  /** This process's member in the set. Default `<hostname>:<pid>:<random>`, unique per heartbeat. */
  processId?: string
  /**
   * N until the first beat answers (Redis down at boot). Default 1: each process may admit the
   * whole limit then. Set the fleet's usual size if you know it (see docs/failure-handling.md).
   */
  initialFleetSize?: number
  /** Called with the error of a beat that failed (N keeps its last value); throws are ignored. */
  onError?: (error: unknown) => void
}

/** A running heartbeat. */
export interface FleetHeartbeat {
  /** The last N Redis reported (`initialFleetSize` before the first answer). Bound: pass it as is. */
  readonly fleetSize: () => number
  /** Beats now (a beat still in flight is not doubled) and resolves with the N it learned. */
  beat(): Promise<number>
  /** Stops beating and removes this process from the set (best effort: resolves even if Redis is down). */
  close(): Promise<void>
}

export const DEFAULT_FLEET_KEY = 'spillway:fleet'
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000
const STALE_INTERVALS = 3
const HEARTBEAT_OPTIONS = optionNames<FleetHeartbeatOptions>({
  client: true,
  key: true,
  intervalMs: true,
  processId: true,
  initialFleetSize: true,
  onError: true,
})

/**
 * Starts beating at once, then every `intervalMs` (an unref'd timer: it never keeps the process
 * alive). One small script call per process per interval, never per decision; at most one in
 * flight, so a stalled Redis cannot pile beats up. While Redis is unreachable, N keeps its last value.
 *
 * @example
 * ```ts
 * const heartbeat = startFleetHeartbeat({ client })
 * const store = resilient(new RedisStore({ client }), { fleetSize: heartbeat.fleetSize })
 * // on shutdown
 * await heartbeat.close()
 * ```
 */
export function startFleetHeartbeat(options: FleetHeartbeatOptions): FleetHeartbeat {
  const settings = resolveHeartbeatOptions(options)
  let fleetSize = settings.initialFleetSize
  let inFlight: Promise<number> | undefined
  let closed = false
  const beat = (): Promise<number> => {
    if (closed) return Promise.resolve(fleetSize)
    inFlight ??= sendBeat(settings).then(
      (n) => {
        fleetSize = n
        return n
      },
      (error: unknown) => {
        report(settings.onError, error)
        return fleetSize
      },
    )
    const current = inFlight
    void current.finally(() => {
      if (inFlight === current) inFlight = undefined
    })
    return current
  }
  const timer = setInterval(beat, settings.intervalMs)
  timer.unref?.()
  void beat()
  return {
    fleetSize: () => fleetSize,
    beat,
    async close() {
      if (closed) return
      closed = true
      clearInterval(timer)
      // A beat still in flight would add this process back after the ZREM: let it land first (bounded).
      if (inFlight !== undefined) await Promise.race([inFlight, delay(settings.intervalMs)])
      await runScript(settings.runner, LEAVE, [settings.key], [settings.processId]).catch(() => undefined)
    },
  }
}

type ResolvedHeartbeatOptions = Required<Omit<FleetHeartbeatOptions, 'onError' | 'client'>> &
  Pick<FleetHeartbeatOptions, 'onError'> & { readonly runner: ScriptRunner }

function resolveHeartbeatOptions(options: FleetHeartbeatOptions): ResolvedHeartbeatOptions {
  requireObject(options, 'FleetHeartbeat options')
  rejectUnknownOptions(options, HEARTBEAT_OPTIONS, 'FleetHeartbeat.')
  const { client, key = DEFAULT_FLEET_KEY, intervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS } = options
  if (client === undefined || client === null) {
    throw new SpillwayConfigError('ERR_SPILLWAY_MISSING_OPTION', 'FleetHeartbeat.client', client, 'is required')
  }
  return {
    runner: adaptClient(client, 'FleetHeartbeat.client'),
    key: requireText(key, 'FleetHeartbeat.key'),
    intervalMs: requirePositiveInteger(intervalMs, 'FleetHeartbeat.intervalMs'),
    processId: requireText(options.processId ?? defaultProcessId(), 'FleetHeartbeat.processId'),
    initialFleetSize: requirePositiveInteger(options.initialFleetSize ?? 1, 'FleetHeartbeat.initialFleetSize'),
    onError: optionalFunction(options.onError, 'FleetHeartbeat.onError'),
  }
}

function requireText(value: unknown, option: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be a string of 1–256 characters')
  }
  return value
}

function defaultProcessId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}

/** One beat: `EVALSHA`, and `EVAL` once on `NOSCRIPT`. Resolves with N. */
async function sendBeat({ runner, key, processId, intervalMs }: ResolvedHeartbeatOptions): Promise<number> {
  const reply = await runScript(runner, HEARTBEAT, [key], [processId, intervalMs * STALE_INTERVALS])
  const n = Number(reply)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`[spillway] unexpected heartbeat reply: ${String(reply)}`)
  return n
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.())
}

function report(hook: ((error: unknown) => void) | undefined, error: unknown): void {
  try {
    hook?.(error)
  } catch {
    // a failing hook never stops the heartbeat
  }
}
