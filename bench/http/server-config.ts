// What one HTTP case runs: a framework, a limiter, a verdict; passed to the server process as JSON.
import type { Verdict } from '../spillway.js'
import type { Framework } from './apps.js'

export type LimiterKind = 'none' | 'peer' | 'spillway-memory' | 'spillway-redis'

export interface ServerConfig {
  readonly framework: Framework
  readonly limiter: LimiterKind
  readonly verdict: Verdict
  readonly redisPort: number
}

/** The cases of one framework: bare, its usual peer (on Redis), Spillway on memory and on Redis; admit and reject. */
export function frameworkCases(framework: Framework, redisPort: number): ServerConfig[] {
  const limited: LimiterKind[] = ['peer', 'spillway-memory', 'spillway-redis']
  return [
    { framework, limiter: 'none', verdict: 'admit', redisPort },
    ...limited.flatMap((limiter) =>
      (['admit', 'reject'] as const).map((verdict) => ({ framework, limiter, verdict, redisPort })),
    ),
  ]
}

/** `fastify peer admit`, `express spillway-redis reject`… */
export function caseLabel(config: ServerConfig): string {
  return config.limiter === 'none' ? 'no limiter' : `${config.limiter} ${config.verdict}`
}

/** The HTTP status every measured response must have. */
export function expectedStatus(config: ServerConfig): number {
  return config.verdict === 'admit' ? 200 : 429
}
