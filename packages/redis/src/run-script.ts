// Runs a Lua script by SHA, reloading it (EVAL) once on NOSCRIPT and only then.
import type { ScriptArg, ScriptRunner } from './script-runner.js'

/** A Lua script and the SHA1 that `EVALSHA` calls it by. */
export interface LuaScript {
  readonly source: string
  readonly sha1: string
}

/**
 * `EVALSHA`; on `NOSCRIPT` (after a restart, failover or `SCRIPT FLUSH`) one `EVAL`, which runs the
 * call and caches the script on the node that owns the keys. `NOSCRIPT` means the script did not run,
 * so the `EVAL` never applies a call twice. Any other error is thrown as it is, never retried.
 *
 * @example
 * ```ts
 * const reply = await runScript(adaptClient(client), { source, sha1 }, ['spillway:hb:{fleet}'], [nowMs])
 * ```
 */
export async function runScript(
  runner: ScriptRunner,
  script: LuaScript,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<unknown> {
  try {
    return await runner.evalsha(script.sha1, keys, args)
  } catch (error) {
    if (!isNoScript(error)) throw error
    return runner.eval(script.source, keys, args)
  }
}

/** True for Redis's `NOSCRIPT No matching script` error, and nothing else. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}
