// Warns once per client whose settings could replay a decision to Redis after it was answered.
import type { Cluster, Redis } from 'ioredis'

type ReplayOptions = {
  enableOfflineQueue?: boolean
  autoResendUnfulfilledCommands?: boolean
  maxRetriesPerRequest?: number | null
  redisOptions?: ReplayOptions
}

const warned = new WeakSet<object>()

/**
 * Lists the settings of `client` that can apply a decision late: queued while offline, or resent
 * after a reconnect, when the caller has long since been answered (by a timeout or a fallback).
 */
export function replayRisks(client: Redis | Cluster): string[] {
  const options = ((client as { options?: ReplayOptions }).options ?? {}) as ReplayOptions
  const node = options.redisOptions ?? options
  const risks: string[] = []
  if (options.enableOfflineQueue !== false) risks.push('enableOfflineQueue is not false')
  if (node.autoResendUnfulfilledCommands !== false) risks.push('autoResendUnfulfilledCommands is not false')
  if (node.maxRetriesPerRequest === null) risks.push('maxRetriesPerRequest is null (unbounded)')
  return risks
}

/** Emits one process warning (code `SPILLWAY_REDIS_REPLAY`) per client with replay risks. */
export function warnAboutReplayRisks(client: Redis | Cluster): void {
  if (warned.has(client)) return
  const risks = replayRisks(client)
  if (risks.length === 0) return
  warned.add(client)
  process.emitWarning(
    `RedisStore client: ${risks.join('; ')}. A decision answered during an outage could be applied to Redis ` +
      'later and count twice. Create the client with { enableOfflineQueue: false, ' +
      'autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 }.',
    { code: 'SPILLWAY_REDIS_REPLAY' },
  )
}
