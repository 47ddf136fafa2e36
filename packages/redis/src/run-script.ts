// Runs the token bucket script by SHA, reloading it (EVAL) once on NOSCRIPT and only then.
import type { Cluster, Redis } from 'ioredis'
import { tokenBucketScript, tokenBucketScriptSha1 } from './token-bucket-script.js'

/** One call of the script: the bucket key and its ARGV (emission interval µs, burst µs, cost). */
export interface ScriptCall {
  readonly key: string
  readonly args: readonly [intervalUs: number, burstUs: number, cost: number]
}

/** The script's answer, checked: what `describeDecision` needs. */
export interface ScriptStep {
  readonly allowed: boolean
  readonly debtUs: number
}

/**
 * `EVALSHA`; on `NOSCRIPT` (after a restart, failover or `SCRIPT FLUSH`) one `EVAL`, which runs the
 * call and caches the script on the node that owns the key. Any other error is thrown as it is.
 */
export async function runScript(client: Redis | Cluster, call: ScriptCall): Promise<ScriptStep> {
  try {
    return parseReply(await client.evalsha(tokenBucketScriptSha1, 1, call.key, ...call.args))
  } catch (error) {
    if (!isNoScript(error)) throw error
    return parseReply(await client.eval(tokenBucketScript, 1, call.key, ...call.args))
  }
}

/**
 * Many calls in one pipeline (one write, one round trip); the calls that met `NOSCRIPT` are sent
 * again as `EVAL` in a second pipeline. A standalone client only: a Cluster pipeline must stay on one node.
 */
export async function runScriptPipelined(client: Redis, calls: readonly ScriptCall[]): Promise<ScriptStep[]> {
  const first = await execPipeline(client, calls, 'evalsha')
  const retryIndexes = first.flatMap((entry, index) => (isNoScript(entry[0]) ? [index] : []))
  if (retryIndexes.length > 0) {
    const retried = await execPipeline(
      client,
      retryIndexes.map((index) => calls[index] as ScriptCall),
      'eval',
    )
    retried.forEach((entry, i) => {
      first[retryIndexes[i] as number] = entry
    })
  }
  return first.map(([error, reply]) => {
    if (error) throw error
    return parseReply(reply)
  })
}

async function execPipeline(
  client: Redis,
  calls: readonly ScriptCall[],
  command: 'evalsha' | 'eval',
): Promise<Array<[Error | null, unknown]>> {
  const pipeline = client.pipeline()
  for (const call of calls) {
    if (command === 'evalsha') pipeline.evalsha(tokenBucketScriptSha1, 1, call.key, ...call.args)
    else pipeline.eval(tokenBucketScript, 1, call.key, ...call.args)
  }
  const results = await pipeline.exec()
  if (results === null || results.length !== calls.length) {
    throw new Error(`[spillway] Redis pipeline returned ${results?.length ?? 'no'} results for ${calls.length} calls`)
  }
  return results
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
