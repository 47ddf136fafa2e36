// Turns the rounds of each case into the figures the report shows: medians, spreads, ratios to the bare app.
import type { Framework } from '../http/apps.js'
import type { LimiterKind, ServerConfig } from '../http/server-config.js'
import type { InProcessConfig } from '../in-process/in-process-case.js'
import { IN_PROCESS_VARIANTS, type InProcessVariant } from '../in-process/variants.js'
import type { HttpCase, InProcessCase, LibraryCase } from '../results.js'
import { type Summary, summarize } from '../stats.js'

export interface HttpFigures {
  readonly config: ServerConfig
  readonly error?: string
  readonly requestsPerSecond?: Summary
  /** To the same framework with no limiter, in the same round. */
  readonly ratio?: Summary
  readonly serverCpuUsPerRequest?: Summary
  readonly redisCpuUsPerRequest?: Summary
  readonly serverCpuPercent?: Summary
  readonly fixedRate?: Summary
  /** The limiter's share of the server's busy CPU at full speed, %, profiled (in-memory limited cases). */
  readonly limiterBusyPercent?: Summary
}

export interface InProcessFigures {
  readonly config: InProcessConfig
  readonly error?: string
  /** The bare app's CPU µs per request. */
  readonly bare?: Summary
  /** What each variant adds to the bare app, in CPU µs per request: its difference in each round, summarised. */
  readonly added?: Readonly<Record<Exclude<InProcessVariant, 'none'>, Summary>>
}

export interface LibraryFigures {
  readonly label: string
  /** Decided on Redis: its Redis CPU per decision is the limiter's. */
  readonly redis: boolean
  readonly contender: 'spillway' | 'peer' | 'ceiling'
  readonly error?: string
  readonly decisionsPerSecond?: Summary
  readonly redisCpuUsPerDecision?: Summary
}

const PEER_LABELS: Record<Framework, string> = {
  express: 'express-rate-limit + rate-limit-redis',
  fastify: '@fastify/rate-limit (Redis store)',
  koa: 'koa-ratelimit (Redis driver)',
}

const PEER_MEMORY_LABELS: Record<Framework, string> = {
  express: 'express-rate-limit (MemoryStore)',
  fastify: '@fastify/rate-limit (local store)',
  koa: 'koa-ratelimit (memory driver)',
}

/** `Spillway (RedisStore)`, `@fastify/rate-limit (local store)`, `no limiter`… */
export function limiterLabel(framework: Framework, limiter: LimiterKind): string {
  if (limiter === 'none') return 'no limiter'
  if (limiter === 'peer') return PEER_LABELS[framework]
  if (limiter === 'peer-memory') return PEER_MEMORY_LABELS[framework]
  return limiter === 'spillway-memory' ? 'Spillway (MemoryStore)' : 'Spillway (RedisStore)'
}

/** Figures of every HTTP case; a case whose baseline failed has no ratio. */
export function httpFigures(cases: readonly HttpCase[]): HttpFigures[] {
  return cases.map((entry) => {
    const { config, rounds } = entry
    if (entry.error !== undefined || rounds.length === 0) return { config, error: entry.error ?? 'no rounds' }
    const baseline = cases.find((c) => c.config.framework === config.framework && c.config.limiter === 'none')
    const ratios = rounds.flatMap((round, i) => {
      const bare = baseline?.error === undefined ? baseline?.rounds[i] : undefined
      return bare ? [round.requestsPerSecond / bare.requestsPerSecond] : []
    })
    return {
      config,
      requestsPerSecond: summarize(rounds.map((r) => r.requestsPerSecond)),
      ratio: ratios.length === rounds.length ? summarize(ratios) : undefined,
      serverCpuUsPerRequest: summarize(rounds.map((r) => r.serverCpuUsPerRequest)),
      redisCpuUsPerRequest: summarize(rounds.map((r) => r.redisCpuUsPerRequest)),
      serverCpuPercent: summarize(rounds.map((r) => r.serverCpuPercent)),
      fixedRate: summarize(rounds.map((r) => r.fixedRate)),
      limiterBusyPercent: optionalSummary(rounds.map((r) => r.limiterBusyPercent)),
    }
  })
}

/** A summary of a figure every round has, else none (a case without it, or results of an older run). */
function optionalSummary(values: readonly (number | undefined)[]): Summary | undefined {
  const present = values.filter((value): value is number => value !== undefined)
  return present.length === values.length && present.length > 0 ? summarize(present) : undefined
}

/** Figures of every in-process case: each variant's cost over the bare app of the same round. */
export function inProcessFigures(cases: readonly InProcessCase[]): InProcessFigures[] {
  return cases.map(({ config, rounds, error }) => {
    if (error !== undefined || rounds.length === 0) return { config, error: error ?? 'no rounds' }
    const addedBy = (variant: InProcessVariant) =>
      summarize(rounds.map(({ usPerRequest }) => usPerRequest[variant] - usPerRequest.none))
    const limited = IN_PROCESS_VARIANTS.filter((variant) => variant !== 'none')
    return {
      config,
      bare: summarize(rounds.map(({ usPerRequest }) => usPerRequest.none)),
      added: Object.fromEntries(limited.map((variant) => [variant, addedBy(variant)])) as InProcessFigures['added'],
    }
  })
}

export function libraryFigures(cases: readonly LibraryCase[]): LibraryFigures[] {
  return cases.map((entry) => {
    const { label, redis, contender } = entry.config
    if (entry.error !== undefined || entry.rounds.length === 0) {
      return { label, redis, contender, error: entry.error ?? 'no rounds' }
    }
    return {
      label,
      redis,
      contender,
      decisionsPerSecond: summarize(entry.rounds.map((r) => r.decisionsPerSecond)),
      redisCpuUsPerDecision: summarize(entry.rounds.map((r) => r.redisCpuUsPerDecision)),
    }
  })
}

/** `12,345 ±3%` (the spread is omitted after a single round). */
export function withSpread(summary: Summary | undefined, digits = 0): string {
  if (!summary) return '—'
  const value = summary.median.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  return summary.min === summary.max ? value : `${value} ±${Math.round(summary.spreadPercent)}%`
}
