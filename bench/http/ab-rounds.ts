// What the HTTP A/B tools (bench/http-compare.ts, bench/http-profile.ts) share: their command line, and
// rounds of cases from several checkouts against one private Redis, each case in a fresh pinned server.
import { parseArgs } from 'node:util'
import type { Redis } from 'ioredis'
import type { BenchChild } from '../child.js'
import { connectClient, startRedisServer } from '../redis.js'
import { FRAMEWORKS, type Framework } from './apps.js'
import { CAN_PIN, type CheckoutCase, parseCheckoutCase, pin, startCheckoutServer } from './checkout-server.js'
import { type LoadOptions, runLoad } from './load.js'
import type { ServerConfig } from './server-config.js'

export interface AbCommandLine {
  readonly framework: Framework
  readonly cases: readonly CheckoutCase[]
  readonly rounds: number
  /** Seconds of each measured load. */
  readonly seconds: number
  /** The tool's own options, as given. */
  readonly values: Readonly<Record<string, string | undefined>>
}

/**
 * Parses `<framework> <checkout>=<limiter>[:verdict]... [--rounds N] [--seconds S]` and the tool's own string
 * options; prints `usage` and exits on anything else.
 *
 * @example
 * ```ts
 * const { framework, cases, values } = parseAbCommandLine(USAGE, ['rate'])
 * ```
 */
export function parseAbCommandLine(usage: string, toolOptions: readonly string[]): AbCommandLine {
  const options = Object.fromEntries(
    ['rounds', 'seconds', ...toolOptions].map((name) => [name, { type: 'string' as const }]),
  )
  const { values, positionals } = parseArgs({ allowPositionals: true, options })
  const [framework, ...specs] = positionals as [Framework, ...string[]]
  const rounds = Number(values.rounds ?? 3)
  const seconds = Number(values.seconds ?? 4)
  if (!FRAMEWORKS.includes(framework) || specs.length === 0 || !(rounds > 0 && seconds > 0)) {
    console.error(usage)
    process.exit(2)
  }
  const cases = specs.map((spec) => parseCheckoutCase(spec, usage))
  return { framework, cases, rounds, seconds, values: values as Record<string, string | undefined> }
}

/** One case in one round, its server started, pinned and warmed up. */
export interface AbRun {
  readonly httpCase: CheckoutCase
  readonly round: number
  readonly config: ServerConfig
  readonly server: BenchChild
  /** The load to measure with: the case's port, 100 connections, the tool's rate, autocannon's CPU. */
  readonly load: Omit<LoadOptions, 'seconds'>
  /** The bench Redis, flushed before the case. */
  readonly admin: Redis
}

/**
 * Runs `rounds` rounds, each case once per round (the order reversed every other round): a fresh server
 * from the case's checkout (with `serverArgs`), on CPU 0 with Redis where `taskset` exists (autocannon on
 * CPU 1), 2 s of warm-up at `rate` (which also drains a reject case's bucket), then `measure`.
 *
 * @example
 * ```ts
 * await runAbRounds(commandLine, { serverArgs: [] }, async ({ load }) => { await runLoad({ ...load, seconds: 4 }) })
 * ```
 */
export async function runAbRounds(
  { framework, cases, rounds }: AbCommandLine,
  { serverArgs, rate }: { serverArgs: readonly string[]; rate?: number },
  measure: (run: AbRun) => Promise<void>,
): Promise<void> {
  const redis = await startRedisServer()
  const admin = await connectClient(redis.port)
  pin(redis.pid, '0')
  try {
    for (let round = 0; round < rounds; round++) {
      for (const httpCase of round % 2 ? [...cases].reverse() : cases) {
        await admin.flushall()
        const config: ServerConfig = { ...httpCase, framework, redisPort: redis.port }
        const server = startCheckoutServer(httpCase.checkout, config, serverArgs)
        try {
          const port = Number(await server.nextLine('port '))
          const load = { port, connections: 100, rate, cpus: CAN_PIN ? '1' : undefined }
          pin(server.pid, '0')
          await runLoad({ ...load, seconds: 2 })
          await measure({ httpCase, round, config, server, load, admin })
        } finally {
          await server.stop()
        }
      }
    }
  } finally {
    admin.disconnect()
    await redis.stop()
  }
}

/** `, server + Redis on CPU 0, load on CPU 1` where the runs were pinned, else nothing: for a table's title. */
export const PINNING_NOTE = CAN_PIN ? ', server + Redis on CPU 0, load on CPU 1' : ''
