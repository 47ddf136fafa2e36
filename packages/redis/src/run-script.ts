// Runs the token bucket script by SHA, reloading it (EVAL) once on NOSCRIPT and only then.
import type { Cluster, Redis } from 'ioredis'
import { tokenBucketScript, tokenBucketScriptSha1 } from './token-bucket-script.js'

/** The script's answer, checked: the raw step a store returns. */
export interface ScriptStep {
  readonly allowed: boolean
  readonly debtUs: number
}

/**
 * `EVALSHA`; on `NOSCRIPT` (after a restart, failover or `SCRIPT FLUSH`) one `EVAL`, which runs the
 * call and caches the script on the node that owns the key. Any other error is thrown as it is.
 */
export async function runScript(
  client: Redis | Cluster,
  key: string,
  intervalUs: number,
  burstUs: number,
  cost: number,
): Promise<ScriptStep> {
  try {
    return parseReply(await client.evalsha(tokenBucketScriptSha1, 1, key, intervalUs, burstUs, cost))
  } catch (error) {
    if (!isNoScript(error)) throw error
    return parseReply(await client.eval(tokenBucketScript, 1, key, intervalUs, burstUs, cost))
  }
}

/** True for Redis's `NOSCRIPT No matching script` error, and nothing else. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

function parseReply(reply: unknown): ScriptStep {
  if (Array.isArray(reply) && reply.length === 2) {
    const allowed = Number(reply[0])
    const debtUs = Number(reply[1])
    if ((allowed === 0 || allowed === 1) && Number.isSafeInteger(debtUs) && debtUs >= 0) {
      return { allowed: allowed === 1, debtUs }
    }
  }
  throw new Error(`[spillway] unexpected reply from the token bucket script: ${JSON.stringify(reply)}`)
}
