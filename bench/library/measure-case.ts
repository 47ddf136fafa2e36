// One round of one library-level case: a worker process (or redis-benchmark for a ceiling) for a fixed time.
import type { Redis } from 'ioredis'
import { startChild } from '../child.js'
import type { BenchOptions } from '../options.js'
import { CEILINGS } from './ceilings.js'
import { LIBRARY_CASES, type LibraryCaseSpec } from './contenders.js'
import { scriptCeiling } from './redis-benchmark.js'

export interface LibraryRound {
  readonly decisionsPerSecond: number
  readonly redisCpuUsPerDecision: number
}

/** Every library case, the ceilings last. */
export const LIBRARY_CASE_SPECS: readonly LibraryCaseSpec[] = [...LIBRARY_CASES, ...CEILINGS]

/**
 * Runs one case: a ceiling with redis-benchmark, the others in a worker process on the bench's Redis.
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
  const ceiling = CEILINGS.find((c) => c.id === id)
  if (ceiling) {
    const calls = ceiling.calls[options.quick ? 0 : 1]
    return scriptCeiling(admin, redisPort, { keysPerCall: ceiling.keysPerCall, calls })
  }
  if (!LIBRARY_CASES.some((c) => c.id === id)) throw new Error(`unknown library case ${id}`)
  const worker = startChild('bench/library/worker.ts', [id, String(options.measureSeconds), String(redisPort)])
  try {
    return JSON.parse(await worker.nextLine('result ')) as LibraryRound
  } finally {
    await worker.stop()
  }
}
