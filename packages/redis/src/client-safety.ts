// Warns once per client whose settings could replay a decision to Redis after it was answered.
import type { ScriptRunner } from './script-runner.js'

const warned = new WeakSet<ScriptRunner>()

/**
 * Emits one process warning (code `SPILLWAY_REDIS_REPLAY`) per client whose settings can apply a
 * decision late: queued while offline, or resent after a reconnect, when the caller has long since
 * been answered (by a timeout or a fallback).
 */
export function warnAboutReplayRisks(runner: ScriptRunner): void {
  if (warned.has(runner)) return
  const risks = runner.replayRisks()
  if (risks.length === 0) return
  warned.add(runner)
  process.emitWarning(
    `RedisStore client (${runner.kind}): ${risks.join('; ')}. A decision answered during an outage could be ` +
      `applied to Redis later and count twice. Create the client with ${runner.safeSettings}.`,
    { code: 'SPILLWAY_REDIS_REPLAY' },
  )
}
