// `pnpm bench`: HTTP, library-level and memory benchmarks in interleaved rounds; writes benchmarks.md and charts.
// Run from the repository root: node --import tsx bench/run.ts [--quick] [--only …] [--out DIR]
import { cpus } from 'node:os'
import { FRAMEWORKS, type Framework } from './http/apps.js'
import { measureHttpCase } from './http/measure-case.js'
import { caseLabel, frameworkCases, httpCaseId, type ServerConfig } from './http/server-config.js'
import { IN_PROCESS_CASES, inProcessCaseId, inProcessSpec, measureInProcessCase } from './in-process/in-process-case.js'
import { LIBRARY_CASE_SPECS, measureLibraryCase } from './library/measure-case.js'
import { measureHeapBytes } from './memory/heap.js'
import { measureRedisBytes } from './memory/redis-bytes.js'
import { type BenchOptions, fixedLoadRate, parseOptions, selected } from './options.js'
import { connectClient, startRedisServer } from './redis.js'
import { writeReport, writeReportFrom } from './report/write-report.js'
import { type BenchResults, type HttpCase, type InProcessCase, type LibraryCase, runRound } from './results.js'

/** The memory figures' case id: Redis bytes and heap bytes per key. */
const MEMORY = 'memory'

/** Every case id, for `--only` to check its prefixes against. */
const CASE_IDS = [
  ...FRAMEWORKS.flatMap((framework) => frameworkCases(framework, 0).map(httpCaseId)),
  ...IN_PROCESS_CASES.map(inProcessCaseId),
  ...LIBRARY_CASE_SPECS.map(({ id }) => id),
  MEMORY,
]

/** HTTP cases of every framework with a selected case; its no-limiter baseline always comes along. */
function httpCases(options: BenchOptions, redisPort: number): HttpCase[] {
  return FRAMEWORKS.flatMap((framework) => {
    const cases = frameworkCases(framework, redisPort).map((config) => ({
      id: httpCaseId(config),
      config,
      rounds: [],
    }))
    const chosen = cases.filter((c, i) => i === 0 || selected(options, c.id))
    return chosen.length > 1 || selected(options, cases[0]!.id) ? chosen : []
  })
}

function inProcessCases(options: BenchOptions): InProcessCase[] {
  return IN_PROCESS_CASES.map((config) => ({ id: inProcessCaseId(config), config, rounds: [] })).filter((c) =>
    selected(options, c.id),
  )
}

function libraryCases(options: BenchOptions): LibraryCase[] {
  return LIBRARY_CASE_SPECS.filter(({ id }) => selected(options, id)).map(({ id, ...config }) => ({
    id,
    config,
    rounds: [],
  }))
}

async function main(): Promise<void> {
  const started = performance.now()
  const options = parseOptions(process.argv.slice(2), CASE_IDS)
  if (options.from !== undefined) {
    console.log(`wrote ${writeReportFrom(options.from, options.outDir)} from ${options.from}`)
    return
  }
  const redis = await startRedisServer()
  const admin = await connectClient(redis.port)
  try {
    const http = httpCases(options, redis.port)
    const inProcess = inProcessCases(options)
    const library = libraryCases(options)
    for (let round = 1; round <= options.rounds; round++) {
      const fixedRateOf = fixedLoadOfRound(options)
      for (const entry of http) {
        console.log(`round ${round}/${options.rounds}: ${entry.config.framework} ${caseLabel(entry.config)}`)
        await runRound(entry, () => measureHttpCase(entry.config, options, admin, fixedRateOf(entry.config)))
      }
      for (const entry of inProcess) {
        console.log(`round ${round}/${options.rounds}: in process, ${entry.config.framework} ${entry.config.verdict}`)
        await runRound(entry, () => measureInProcessCase(inProcessSpec(entry.config, options)))
      }
      for (const entry of library) {
        console.log(`round ${round}/${options.rounds}: ${entry.config.label}`)
        await runRound(entry, () => measureLibraryCase(entry.id, options, admin, redis.port))
      }
    }
    const memory = selected(options, MEMORY)
    if (memory)
      console.log(`memory: Redis bytes per key (${options.redisKeys} clients), heap at ${options.heapKeys} keys`)
    const results: BenchResults = {
      info: runInfo(options, (await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?', started),
      http,
      inProcess,
      library,
      redisBytes: memory ? await measureRedisBytes(admin, options.redisKeys) : undefined,
      heapBytes: memory ? await measureHeapBytes(options.heapKeys) : undefined,
    }
    const path = writeReport(
      { ...results, info: { ...results.info, elapsedSeconds: (performance.now() - started) / 1000 } },
      options.outDir,
    )
    console.log(`wrote ${path}`)
  } finally {
    admin.disconnect()
    await redis.stop()
  }
}

/**
 * The fixed load of each case in one round: the no-limiter case (first of its framework) sets it from its
 * peak; the others use it. A framework whose baseline failed this round falls back to each case's own peak.
 */
function fixedLoadOfRound(options: BenchOptions) {
  const rates = new Map<Framework, number>()
  return (config: ServerConfig) => (peakRequestsPerSecond: number) => {
    const own = fixedLoadRate(peakRequestsPerSecond, options.fixedLoadShare)
    if (config.limiter === 'none') rates.set(config.framework, own)
    return rates.get(config.framework) ?? own
  }
}

function runInfo(options: BenchOptions, redis: string, started: number) {
  return {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    redis,
    command: ['pnpm bench', ...process.argv.slice(2).filter((arg) => arg !== '--')].join(' '),
    rounds: options.rounds,
    measureSeconds: options.measureSeconds,
    fixedLoadSeconds: options.fixedLoadSeconds,
    profileSeconds: options.profileSeconds,
    fixedLoadShare: options.fixedLoadShare,
    connections: options.connections,
    inProcessBatches: options.inProcessBatches,
    redisKeys: options.redisKeys,
    heapKeys: options.heapKeys,
    elapsedSeconds: (performance.now() - started) / 1000,
  }
}

await main()
