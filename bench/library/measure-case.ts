// One round of one library-level case: a worker process (or redis-benchmark for the ceiling) for a fixed time.
import type { Redis } from 'ioredis'
import { startChild } from '../child.js'
import type { BenchOptions } from '../options.js'
import { LIBRARY_CASES, type LibraryCaseId } from './contenders.js'
import { scriptCeiling } from './redis-benchmark.js'

export const CEILING_ID = 'library-redis-benchmark'
export const CEILING_LABEL = 'redis-benchmark EVALSHA tokenBucketScript (ceiling)'

export interface LibraryRound {
  readonly decisionsPerSecond: number
  readonly redisCpuUsPerDecision: number
}

/** Every library case id with its label, the ceiling last. */
export const LIBRARY_CASE_LABELS: readonly { id: string; label: string }[] = [
  ...LIBRARY_CASES,
  { id: CEILING_ID, label: CEILING_LABEL },
]

/**
 * Runs one case: the ceiling with redis-benchmark, the others in a worker process on the bench's Redis.
 *
 * @example
 * ```ts
 * const round = await measureLibraryCase('library-memory-spillway', options, admin, port)
 * ```
 */
export async function measureLibraryCase(
  id: string,
  options: BenchOptions,
  admin: Redis,
  redisPort: number,
): Promise<LibraryRound> {
  await admin.flushall()
  if (id === CEILING_ID) {
    const calls = options.quick ? 30_000 : 150_000
    const { callsPerSecond, redisCpuUsPerCall } = await scriptCeiling(admin, redisPort, calls)
    return { decisionsPerSecond: callsPerSecond, redisCpuUsPerDecision: redisCpuUsPerCall }
  }
  if (!LIBRARY_CASES.some((c) => c.id === id)) throw new Error(`unknown library case ${id as LibraryCaseId}`)
  const worker = startChild('bench/library/worker.ts', [id, String(options.measureSeconds), String(redisPort)])
  try {
    return JSON.parse(await worker.nextLine('result ')) as LibraryRound
  } finally {
    await worker.stop()
  }
}
