// Command-line options of `pnpm bench`: --quick, --only a,b and --out DIR.
import { parseArgs } from 'node:util'

export interface BenchOptions {
  readonly quick: boolean
  /** Case-id prefixes to run (`http-fastify`, `library`, `memory`…); empty runs everything. */
  readonly only: readonly string[]
  /** Directory for benchmarks.md (charts go to its benchmarks/ folder). */
  readonly outDir: string
  readonly rounds: number
  /** Seconds of each timed phase. */
  readonly warmupSeconds: number
  readonly measureSeconds: number
  readonly fixedLoadSeconds: number
  /** Seconds of the profiled run of an in-memory limited HTTP case. */
  readonly profileSeconds: number
  /**
   * The fixed load at which CPU per request is measured, as a share of the same round's no-limiter req/s of
   * the framework: every case of it then runs at one rate that even the slowest case reaches.
   */
  readonly fixedLoadShare: number
  readonly connections: number
  /** In-process cases: batches per variant in each round, and requests per variant before the first. */
  readonly inProcessBatches: number
  readonly inProcessWarmup: number
  /** Keys written per limiter for Redis bytes per key, and held for heap bytes per key. */
  readonly redisKeys: number
  readonly heapKeys: number
  /** A results.json to render again (after editing the report's text) instead of measuring. */
  readonly from?: string
}

export const USAGE = `pnpm bench [--quick] [--only http-express,http-fastify,http-koa,in-process,library,memory] [--out DIR]
  --quick   1 round, short phases: a smoke test of every case in a few minutes
  --only    run only cases whose id starts with one of these prefixes
  --from    render a saved results.json again (e.g. docs/benchmarks/results.json) without measuring
  --out     where to write benchmarks.md and its charts (default: docs/ for a full run, bench/out/ otherwise)`

/**
 * Parses argv; a full run of everything writes docs/, anything else bench/out/ so docs stay whole. Each `--only`
 * prefix must start one of `caseIds`, so a typo fails at once instead of running nothing.
 */
export function parseOptions(argv: readonly string[], caseIds: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const quick = values.quick === true
  const only = (values.only ?? '').split(',').filter((id) => id !== '')
  const outDir = values.out ?? (quick || only.length > 0 || values.from ? 'bench/out' : 'docs')
  const known = (prefix: string) => caseIds.some((id) => id.startsWith(prefix))
  if (!only.every(known)) throw new Error(`--only ${values.only}: no case id starts with that\n${USAGE}`)
  return {
    quick,
    only,
    outDir,
    rounds: quick ? 1 : 3,
    warmupSeconds: 1,
    measureSeconds: quick ? 2 : 4,
    fixedLoadSeconds: quick ? 2 : 4,
    profileSeconds: 2,
    fixedLoadShare: FIXED_LOAD_SHARE,
    connections: 100,
    inProcessBatches: quick ? 10 : 40,
    inProcessWarmup: quick ? 5_000 : 20_000,
    redisKeys: quick ? 10_000 : 100_000,
    heapKeys: quick ? 100_000 : 1_000_000,
    from: values.from,
  }
}

/**
 * A third of the bare framework's req/s: the slowest case measured (a peer on Redis) answers about 0.4 of
 * it, so every case reaches the load. A fixed rate would not do: this machine's speed moved 3× between days.
 */
export const FIXED_LOAD_SHARE = 1 / 3

/** The fixed load of a round: `share` of the no-limiter peak, in whole hundreds of req/s (at least 100). */
export function fixedLoadRate(peakRequestsPerSecond: number, share: number): number {
  return Math.max(100, Math.round((peakRequestsPerSecond * share) / 100) * 100)
}

/** Whether a case id is selected by --only. */
export function selected(options: BenchOptions, id: string): boolean {
  return options.only.length === 0 || options.only.some((prefix) => id.startsWith(prefix))
}
