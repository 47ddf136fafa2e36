// What a bench run collects: the rounds of each case (or why it failed), plus the memory figures.
import type { HttpRound } from './http/measure-case.js'
import type { ServerConfig } from './http/server-config.js'
import type { InProcessConfig, InProcessRound } from './in-process/in-process-case.js'
import type { LibraryCaseSpec } from './library/contenders.js'
import type { LibraryRound } from './library/measure-case.js'
import type { HeapBytes } from './memory/heap.js'
import type { RedisBytes } from './memory/redis-bytes.js'

export interface CaseRounds<Config, Round> {
  readonly id: string
  readonly config: Config
  readonly rounds: Round[]
  /** The first failure (e.g. a wrong status code); a failed case reports no figures. */
  error?: string
}

export type HttpCase = CaseRounds<ServerConfig, HttpRound>
export type LibraryCase = CaseRounds<Omit<LibraryCaseSpec, 'id'>, LibraryRound>
export type InProcessCase = CaseRounds<InProcessConfig, InProcessRound>

export interface RunInfo {
  readonly date: string
  readonly node: string
  readonly cpus: string
  readonly redis: string
  readonly command: string
  readonly rounds: number
  readonly measureSeconds: number
  readonly fixedLoadSeconds: number
  /** The profiled run of an in-memory HTTP case (absent in results written before it existed). */
  readonly profileSeconds?: number
  readonly fixedLoadShare: number
  readonly connections: number
  /** In-process cases: batches per variant (absent in results written before they existed). */
  readonly inProcessBatches?: number
  readonly redisKeys: number
  readonly heapKeys: number
  readonly elapsedSeconds: number
}

export interface BenchResults {
  readonly info: RunInfo
  readonly http: readonly HttpCase[]
  /** Absent in results written before the in-process cases existed. */
  readonly inProcess?: readonly InProcessCase[]
  readonly library: readonly LibraryCase[]
  readonly redisBytes?: readonly RedisBytes[]
  readonly heapBytes?: readonly HeapBytes[]
}

/** Runs `measure` for one round of a case, recording a failure instead of stopping the run. */
export async function runRound<C, R>(entry: CaseRounds<C, R>, measure: () => Promise<R>): Promise<void> {
  if (entry.error !== undefined) return
  try {
    entry.rounds.push(await measure())
  } catch (error) {
    entry.error = error instanceof Error ? error.message : String(error)
    console.error(`  ${entry.id} FAILED: ${entry.error}`)
  }
}
