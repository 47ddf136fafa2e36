// One round of one HTTP case: a fresh server process, a warm-up, a peak run and a fixed-load run.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { type BenchChild, startChild } from '../child.js'
import { processCpuUs } from '../cpu.js'
import type { BenchOptions } from '../options.js'
import { redisCpuSeconds } from '../redis.js'
import { checkStatus, runLoad } from './load.js'
import { profileLoad } from './profiler-control.js'
import { caseLabel, expectedStatus, type ServerConfig } from './server-config.js'

export interface HttpRound {
  readonly requestsPerSecond: number
  /** Server CPU during the peak run, in % of one core: near 100 means the server, not the load, was the limit. */
  readonly serverCpuPercent: number
  readonly serverCpuUsPerRequest: number
  readonly redisCpuUsPerRequest: number
  /** Requests per second the fixed-load run achieved (should be the target). */
  readonly fixedRate: number
  /**
   * In-memory limited cases: the limiter's share of the server's busy CPU, in %, from a V8 profile of a last
   * run at full speed (bench/http/profile-share.ts). Absent in other cases and in results of older runs.
   */
  readonly limiterBusyPercent?: number
}

/**
 * Starts the case's server, loads it, checks every status code and returns its figures.
 *
 * @example
 * ```ts
 * const round = await measureHttpCase(config, options, admin, () => 2000)
 * ```
 */
export async function measureHttpCase(
  config: ServerConfig,
  options: BenchOptions,
  admin: Redis,
  fixedRateOf: (peakRequestsPerSecond: number) => number,
): Promise<HttpRound> {
  await admin.flushall()
  const profiled = isProfiled(config)
  const server = startChild('bench/http/server.ts', [JSON.stringify(config), ...(profiled ? ['--profile'] : [])])
  try {
    const port = Number(await server.nextLine('port '))
    const label = `${config.framework} ${caseLabel(config)}`
    const load = { port, connections: options.connections }
    await runLoad({ ...load, seconds: options.warmupSeconds }) // JIT warm-up; drains the bucket of a reject case
    const peakCpuBefore = processCpuUs(server.pid)
    const peak = await runLoad({ ...load, seconds: options.measureSeconds })
    const peakCpuUs = processCpuUs(server.pid) - peakCpuBefore
    checkStatus(peak, expectedStatus(config), label)
    const cpuBefore = processCpuUs(server.pid)
    const redisBefore = await redisCpuSeconds(admin)
    const fixed = await runLoad({
      ...load,
      seconds: options.fixedLoadSeconds,
      rate: fixedRateOf(peak.requestsPerSecond),
    })
    const redisCpuUs = ((await redisCpuSeconds(admin)) - redisBefore) * 1e6
    const serverCpuUs = processCpuUs(server.pid) - cpuBefore
    checkStatus(fixed, expectedStatus(config), `${label} (fixed load)`)
    const limiterBusyPercent = profiled ? await profiledShare(server, load, options, config, label) : undefined
    return {
      requestsPerSecond: peak.requestsPerSecond,
      serverCpuPercent: (peakCpuUs / (options.measureSeconds * 1e6)) * 100,
      serverCpuUsPerRequest: serverCpuUs / fixed.requests,
      redisCpuUsPerRequest: redisCpuUs / fixed.requests,
      fixedRate: fixed.requestsPerSecond,
      ...(limiterBusyPercent === undefined ? {} : { limiterBusyPercent }),
    }
  } finally {
    await server.stop()
  }
}

/** Whether a case gets a profiled run: a limiter on an in-process store, the cases the HTTP targets are about. */
export function isProfiled(config: ServerConfig): boolean {
  return config.limiter === 'peer-memory' || config.limiter === 'spillway-memory'
}

/** A run at full speed with the server's profiler on; the limiter's share of the busy samples, in %. */
async function profiledShare(
  server: BenchChild,
  load: { port: number; connections: number },
  options: BenchOptions,
  config: ServerConfig,
  label: string,
): Promise<number> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-bench-profile-'))
  try {
    const file = join(directory, 'server.cpuprofile')
    const { result, share } = await profileLoad(server, file, () =>
      runLoad({ ...load, seconds: options.profileSeconds }),
    )
    checkStatus(result, expectedStatus(config), `${label} (profiled)`)
    return share.limiter * 100
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
