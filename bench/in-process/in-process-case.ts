// One in-process case (a framework and a verdict): its spec, its round, and running it in a child process.
import { startChild } from '../child.js'
import { FRAMEWORKS, type Framework } from '../http/apps.js'
import type { BenchOptions } from '../options.js'
import type { Verdict } from '../spillway.js'
import type { Alternation } from './drive.js'
import type { InProcessVariant } from './variants.js'

export interface InProcessConfig {
  readonly framework: Framework
  readonly verdict: Verdict
}

export interface InProcessSpec extends InProcessConfig, Alternation {
  /** Requests per variant before anything is measured (JIT warm-up, and the rejecting buckets emptied). */
  readonly warmup: number
}

/** One round: each variant's median CPU µs per request over its batches. */
export interface InProcessRound {
  readonly usPerRequest: Readonly<Record<InProcessVariant, number>>
}

/** Every case: each framework, admitted and rejected. */
export const IN_PROCESS_CASES: readonly InProcessConfig[] = FRAMEWORKS.flatMap((framework) =>
  (['admit', 'reject'] as const).map((verdict) => ({ framework, verdict })),
)

/** Requests per batch: a batch takes a few ms (Express answers a request in process about 30× slower than Fastify). */
const BATCH_SIZE: Readonly<Record<Framework, number>> = { express: 400, fastify: 2_000, koa: 2_000 }

/** What one round of a case runs, by the bench options. */
export function inProcessSpec(config: InProcessConfig, options: BenchOptions): InProcessSpec {
  const { framework } = config
  return {
    ...config,
    batches: options.inProcessBatches,
    batchSize: BATCH_SIZE[framework],
    warmup: options.inProcessWarmup,
  }
}

/** `in-process-fastify-admit`: the case's id, which `--only` selects by prefix. */
export function inProcessCaseId({ framework, verdict }: InProcessConfig): string {
  return `in-process-${framework}-${verdict}`
}

/** 429 from a limiter that rejects; 200 from everything else. */
export function expectedInProcessStatus(variant: InProcessVariant, verdict: Verdict): number {
  return verdict === 'reject' && (variant === 'peer' || variant === 'spillway') ? 429 : 200
}

/**
 * Runs one round of a case in its own process (so one framework's JIT state never shapes another's).
 *
 * @example
 * ```ts
 * const round = await measureInProcessCase({ framework: 'koa', verdict: 'admit', batches: 40, batchSize: 2000, warmup: 20000 })
 * ```
 */
export async function measureInProcessCase(spec: InProcessSpec): Promise<InProcessRound> {
  const child = startChild('bench/in-process/child.ts', [JSON.stringify(spec)])
  try {
    return JSON.parse(await child.nextLine('result ')) as InProcessRound
  } finally {
    await child.stop()
  }
}
