// What one HTTP case runs: a framework, a limiter, a verdict; passed to the server process as JSON.
import type { Verdict } from '../spillway.js'
import type { Framework } from './apps.js'

/**
 * `peer` is the framework's usual limiter on Redis, `peer-memory` the same limiter on its default in-process
 * store. `empty` and `headers` are bench/in-process's variants (one more middleware; that and two constant
 * header fields), and `spillway-redis-stacked` an app-wide and a route policy on RedisStore, all-or-nothing
 * (`-unbatched`: `batch: false`), for bench/http-compare.ts.
 */
export type LimiterKind =
  | 'none'
  | 'peer-memory'
  | 'spillway-memory'
  | 'peer'
  | 'spillway-redis'
  | 'spillway-redis-stacked'
  | 'spillway-redis-stacked-unbatched'
  | 'empty'
  | 'headers'

export interface ServerConfig {
  readonly framework: Framework
  readonly limiter: LimiterKind
  readonly verdict: Verdict
  readonly redisPort: number
}

/**
 * Limited cases in report order: in memory, then on Redis; within each, the peer next to Spillway for
 * the same verdict, so each pair is read side by side.
 */
export const LIMITED_CASES: readonly { limiter: LimiterKind; verdict: Verdict }[] = [
  { limiter: 'peer-memory', verdict: 'admit' },
  { limiter: 'spillway-memory', verdict: 'admit' },
  { limiter: 'peer-memory', verdict: 'reject' },
  { limiter: 'spillway-memory', verdict: 'reject' },
  { limiter: 'peer', verdict: 'admit' },
  { limiter: 'spillway-redis', verdict: 'admit' },
  { limiter: 'peer', verdict: 'reject' },
  { limiter: 'spillway-redis', verdict: 'reject' },
]

/** The cases of one framework: bare, then {@link LIMITED_CASES}. */
export function frameworkCases(framework: Framework, redisPort: number): ServerConfig[] {
  return [
    { framework, limiter: 'none', verdict: 'admit', redisPort },
    ...LIMITED_CASES.map(({ limiter, verdict }) => ({ framework, limiter, verdict, redisPort })),
  ]
}

/** `http-fastify-peer-admit`: the case's id, which `--only` selects by prefix. */
export function httpCaseId({ framework, limiter, verdict }: Omit<ServerConfig, 'redisPort'>): string {
  return `http-${framework}-${limiter}-${verdict}`
}

/** Whether the case's limiter keeps its state on the bench's Redis. */
export function usesRedis(limiter: LimiterKind): boolean {
  return limiter === 'peer' || limiter.startsWith('spillway-redis')
}

/** Whether the case's limiter is the framework's usual peer (on Redis or in memory). */
export function isPeer(limiter: LimiterKind): boolean {
  return limiter === 'peer' || limiter === 'peer-memory'
}

/** `fastify peer admit`, `express spillway-redis reject`… */
export function caseLabel(config: ServerConfig): string {
  return config.limiter === 'none' ? 'no limiter' : `${config.limiter} ${config.verdict}`
}

/** The HTTP status every measured response must have. */
export function expectedStatus(config: ServerConfig): number {
  return config.verdict === 'admit' ? 200 : 429
}
