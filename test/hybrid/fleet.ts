// Runs N real worker processes hammering one key on one Redis and measures admissions per window (tests and bench/hybrid).
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { askWorker, startWorker, stopWorker, type WorkerReply } from '../harness/worker-process.js'
import type { FleetReply, FleetRequest, FleetStoreKind } from './fleet-worker.js'

const WORKER_PATH = fileURLToPath(new URL('./fleet-worker.ts', import.meta.url))
const START_DELAY_MS = 400

function ask(worker: ChildProcess, request: Omit<FleetRequest, 'id'>): Promise<FleetReply> {
  return askWorker<Omit<FleetRequest, 'id'>, FleetReply & WorkerReply>(worker, request).then((reply) => reply)
}

/** One run: `processes` workers of one store kind on one key. */
export interface FleetRun {
  readonly kind: FleetStoreKind
  readonly processes: number
  readonly capacity: number
  readonly refillPerSecond: number
  readonly syncIntervalMs: number
  readonly durationMs: number
  readonly perTick: number
}

/** What a run admitted: ms since the start of every admission (sorted), decisions and fallbacks. */
export interface FleetResult {
  readonly run: FleetRun
  readonly admittedAtMs: number[]
  readonly decisions: number
  readonly fallbacks: number
}

/** A pool of worker processes on one Redis; a run uses the first N. */
export interface FleetPool {
  run(run: FleetRun, key: string): Promise<FleetResult>
  stop(): Promise<void>
}

/**
 * Forks `size` workers (tsx) connected to the Redis on `port`, all with `prefix`.
 *
 * @example
 * ```ts
 * const pool = await startFleetPool(server.port, randomKeyPrefix('bound'), 4)
 * const result = await pool.run({ kind: 'hybrid', processes: 2, ... }, 'client-1')
 * ```
 */
export async function startFleetPool(port: number, prefix: string, size: number): Promise<FleetPool> {
  const workers = await Promise.all(
    Array.from({ length: size }, () => startWorker(WORKER_PATH, [String(port), prefix])),
  )
  return {
    async run(run, key) {
      if (run.processes > workers.length) throw new Error(`the pool has ${workers.length} workers`)
      const startAtMs = performance.timeOrigin + performance.now() + START_DELAY_MS
      const request = { ...run, key, startAtMs }
      const replies = await Promise.all(workers.slice(0, run.processes).map((worker) => ask(worker, request)))
      const admittedAtMs = replies
        .flatMap((reply) => reply.admittedAtMs ?? [])
        .map((at) => at - startAtMs)
        .sort((a, b) => a - b)
      const total = (pick: (reply: FleetReply) => number | undefined) =>
        replies.reduce((sum, reply) => sum + (pick(reply) ?? 0), 0)
      return { run, admittedAtMs, decisions: total((r) => r.decisions), fallbacks: total((r) => r.fallbacks) }
    },
    async stop() {
      await Promise.all(workers.map(stopWorker))
    },
  }
}

/** The most admissions in any window of `windowMs` (closed): every window starting at an admission. */
export function maxInWindow(sortedMs: readonly number[], windowMs: number): number {
  let most = 0
  let end = 0
  for (let start = 0; start < sortedMs.length; start++) {
    while (end < sortedMs.length && (sortedMs[end] as number) <= (sortedMs[start] as number) + windowMs) end++
    most = Math.max(most, end - start)
  }
  return most
}

/** The published bound for a window: B + R·(Δ + L), L = the sync interval (the lease lifetime). */
export function leaseBound(run: FleetRun, windowMs: number): number {
  return run.capacity + (run.refillPerSecond * (windowMs + run.syncIntervalMs)) / 1000
}

/** What an exact bucket admits at most over a run of `ms`: B + R·t. */
export function exactAdmissions(run: FleetRun, ms: number): number {
  return run.capacity + (run.refillPerSecond * ms) / 1000
}
