// The load generator: autocannon in its own process, its JSON read back, every status code checked.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const AUTOCANNON = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url))

export interface LoadOptions {
  readonly port: number
  readonly seconds: number
  readonly connections: number
  /** Requests per second over all connections; absent for as fast as the server answers. */
  readonly rate?: number
  /** CPUs to run autocannon on (`taskset -c`), e.g. `'1'`; absent for wherever the kernel puts it. */
  readonly cpus?: string
}

export interface LoadResult {
  readonly requests: number
  readonly requestsPerSecond: number
  /** Count per status code, e.g. `{ 200: 81234 }`. */
  readonly statusCounts: Readonly<Record<string, number>>
  /** Socket errors and timeouts. */
  readonly errors: number
  /** Median and 99th percentile latency, ms. */
  readonly latencyMs: { readonly p50: number; readonly p99: number }
}

interface AutocannonJson {
  requests: { total: number }
  duration: number
  errors: number
  timeouts: number
  statusCodeStats?: Record<string, { count: number }>
  latency: { p50: number; p99: number }
}

/**
 * Sends GET / to the server for `seconds` from a separate autocannon process.
 *
 * @example
 * ```ts
 * const result = await runLoad({ port, seconds: 4, connections: 100 })
 * ```
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = ['-j', '-c', String(options.connections), '-d', String(options.seconds)]
  if (options.rate !== undefined) args.push('-R', String(options.rate))
  args.push(`http://127.0.0.1:${options.port}/`)
  return new Promise((resolve, reject) => {
    const [command, commandArgs] =
      options.cpus === undefined ? [AUTOCANNON, args] : ['taskset', ['-c', options.cpus, AUTOCANNON, ...args]]
    execFile(command, commandArgs, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`autocannon failed: ${error.message}\n${stderr}`))
      resolve(toResult(JSON.parse(stdout) as AutocannonJson))
    })
  })
}

function toResult(json: AutocannonJson): LoadResult {
  const statusCounts = Object.fromEntries(
    Object.entries(json.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]),
  )
  return {
    requests: json.requests.total,
    requestsPerSecond: json.requests.total / json.duration,
    statusCounts,
    errors: json.errors + json.timeouts,
    latencyMs: { p50: json.latency.p50, p99: json.latency.p99 },
  }
}

/**
 * Throws unless (nearly) every response had `status`: an error page must never count as a fast response.
 * A few stragglers are tolerated (at most 0.1 %), e.g. the one admitted request that drains a bucket.
 */
export function checkStatus(result: LoadResult, status: number, label: string): void {
  const expected = result.statusCounts[String(status)] ?? 0
  const unexpected = result.requests - expected + result.errors
  if (result.requests === 0 || unexpected > result.requests * 0.001) {
    throw new Error(
      `${label}: expected status ${status}, got ${JSON.stringify(result.statusCounts)}, ${result.errors} errors`,
    )
  }
}
