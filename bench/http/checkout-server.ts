// An HTTP case's server from a given checkout, in its own process, and CPU pinning where `taskset` exists:
// for the A/B tools (bench/http-compare.ts, bench/http-profile.ts) that put checkouts side by side.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { type BenchChild, startChild } from '../child.js'
import type { Verdict } from '../spillway.js'
import type { LimiterKind, ServerConfig } from './server-config.js'

const LIMITERS: readonly LimiterKind[] = [
  'none',
  'empty',
  'headers',
  'peer-memory',
  'spillway-memory',
  'peer',
  'spillway-redis',
  'spillway-redis-stacked',
  'spillway-redis-stacked-unbatched',
]

/** One case of an A/B tool: `label` is how it was given on the command line. */
export interface CheckoutCase {
  readonly label: string
  readonly checkout: string
  readonly limiter: LimiterKind
  readonly verdict: Verdict
}

/**
 * Parses `<checkout>=<limiter>[:admit|reject]`; prints `usage` and exits on anything else.
 *
 * @example
 * ```ts
 * parseCheckoutCase('.=spillway-redis', USAGE) // { label: '.=spillway-redis', checkout: '/work/main', … }
 * ```
 */
export function parseCheckoutCase(spec: string, usage: string): CheckoutCase {
  const [checkout = '', kind = ''] = spec.split('=')
  const [limiter, verdict = 'admit'] = kind.split(':') as [LimiterKind, Verdict | undefined]
  if (
    !existsSync(`${checkout}/bench/http/server.ts`) ||
    !LIMITERS.includes(limiter) ||
    !['admit', 'reject'].includes(verdict)
  ) {
    console.error(`not a case: ${spec}\n${usage}`)
    process.exit(2)
  }
  return { label: spec, checkout: resolve(checkout), limiter, verdict }
}

/** Whether `taskset` can pin processes here (util-linux). */
export const CAN_PIN = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** Moves every thread of `pid` onto `cpus` (e.g. `'0'`); nothing where `taskset` is missing. */
export function pin(pid: number, cpus: string): void {
  if (CAN_PIN) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}

/**
 * Starts `checkout`'s bench/http/server.ts for `config` (with `extraArgs`), as `pnpm bench` would run it there.
 *
 * @example
 * ```ts
 * const server = startCheckoutServer('/tmp/base', config)
 * const port = Number(await server.nextLine('port '))
 * ```
 */
export function startCheckoutServer(
  checkout: string,
  config: ServerConfig,
  extraArgs: readonly string[] = [],
): BenchChild {
  return startChild('bench/http/server.ts', [JSON.stringify(config), ...extraArgs], [], { cwd: checkout })
}
