// Counting the commands a Redis ran, from INFO commandstats (since its last CONFIG RESETSTAT).

/** What `INFO` needs of a client: ioredis's `info(section)`. */
interface InfoClient {
  info(section: string): Promise<string>
}

/** Calls of `command` (lower case, e.g. `evalsha`) that `client`'s server ran. */
export async function commandCalls(client: InfoClient, command: string): Promise<number> {
  return callsIn(await client.info('commandstats'), command)
}

/**
 * The script calls that `client`'s server ran: `EVALSHA`s and `EVAL`s (an `EVAL` follows each `NOSCRIPT`).
 *
 * @example
 * ```ts
 * expect(await scriptCalls(redis.client)).toEqual({ evalsha: 1, eval: 0 })
 * ```
 */
export async function scriptCalls(client: InfoClient): Promise<{ evalsha: number; eval: number }> {
  const stats = await client.info('commandstats')
  return { evalsha: callsIn(stats, 'evalsha'), eval: callsIn(stats, 'eval') }
}

function callsIn(stats: string, command: string): number {
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0)
}
