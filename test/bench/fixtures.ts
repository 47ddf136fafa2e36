// Small hand-made bench results for the report tests: a few rounds of a few cases, with round-by-round figures.
import type { Framework } from '../../bench/http/apps.js'
import type { HttpRound } from '../../bench/http/measure-case.js'
import type { LimiterKind } from '../../bench/http/server-config.js'
import type { InProcessRound } from '../../bench/in-process/in-process-case.js'
import type { LibraryRound } from '../../bench/library/measure-case.js'
import type { HttpCase, InProcessCase, LibraryCase, RunInfo } from '../../bench/results.js'

export const INFO: RunInfo = {
  date: '2030-01-02',
  node: 'v20.0.0',
  cpus: '2 × Test CPU',
  redis: '7.0.0',
  command: 'pnpm bench --quick',
  rounds: 2,
  measureSeconds: 2,
  fixedLoadSeconds: 2,
  fixedLoadShare: 1 / 3,
  connections: 100,
  inProcessBatches: 10,
  redisKeys: 10_000,
  heapKeys: 100_000,
  elapsedSeconds: 600,
}

/** One round at `requestsPerSecond`; the CPU figures are derived from it so each round differs. */
export function httpRound(requestsPerSecond: number, redisCpuUsPerRequest = 1): HttpRound {
  return {
    requestsPerSecond,
    serverCpuPercent: 100,
    serverCpuUsPerRequest: 1e6 / requestsPerSecond,
    redisCpuUsPerRequest,
    fixedRate: 2000,
  }
}

export interface HttpCaseSpec {
  readonly framework: Framework
  readonly limiter: LimiterKind
  readonly verdict?: 'admit' | 'reject'
  readonly rounds: readonly HttpRound[]
  readonly error?: string
}

export function httpCase({ framework, limiter, verdict = 'admit', rounds, error }: HttpCaseSpec): HttpCase {
  return {
    id: `http-${framework}-${limiter}-${verdict}`,
    config: { framework, limiter, verdict, redisPort: 6400 },
    rounds: [...rounds],
    ...(error === undefined ? {} : { error }),
  }
}

export function libraryCase(
  label: string,
  decisionsPerSecond: readonly number[],
  options: { redis?: boolean; contender?: 'spillway' | 'peer' | 'ceiling'; error?: string } = {},
): LibraryCase {
  const rounds: LibraryRound[] = decisionsPerSecond.map((perSecond) => ({
    decisionsPerSecond: perSecond,
    redisCpuUsPerDecision: 1e6 / perSecond,
  }))
  return {
    id: `library-${label}`,
    config: { label, redis: options.redis ?? false, contender: options.contender ?? 'spillway' },
    rounds,
    ...(options.error === undefined ? {} : { error: options.error }),
  }
}

/** One in-process round: the bare app at `bare` µs per request, each variant that much more plus its own cost. */
export function inProcessRound(
  bare: number,
  added: { empty: number; headers: number; peer: number; spillway: number },
): InProcessRound {
  return {
    usPerRequest: {
      none: bare,
      empty: bare + added.empty,
      headers: bare + added.headers,
      peer: bare + added.peer,
      spillway: bare + added.spillway,
    },
  }
}

export function inProcessCase(
  framework: Framework,
  verdict: 'admit' | 'reject',
  rounds: readonly InProcessRound[],
  error?: string,
): InProcessCase {
  return {
    id: `in-process-${framework}-${verdict}`,
    config: { framework, verdict },
    rounds: [...rounds],
    ...(error === undefined ? {} : { error }),
  }
}
