// Ceilings for Spillway's scripts: redis-benchmark sending pipelined EVALSHA (single-key or batch script), no Node in the path.
import { execFile } from 'node:child_process'
import type { Redis } from 'ioredis'
import { redisCpuSeconds } from '../redis.js'
import {
  scriptArguments,
  tokenBucketBatchScript,
  tokenBucketBatchScriptSha1,
  tokenBucketScript,
  tokenBucketScriptSha1,
} from '../spillway.js'
import { CONNECTIONS, KEY_RANGE, PIPELINE } from './ceilings.js'

export interface CeilingOptions {
  /** 1: `tokenBucketScript`, one decision per call; more: `tokenBucketBatchScript` with this many keys per call. */
  readonly keysPerCall: number
  readonly calls: number
}

export interface CeilingResult {
  readonly decisionsPerSecond: number
  readonly redisCpuUsPerDecision: number
}

/**
 * Runs `redis-benchmark -c 100 -P 16 -r 1000 -n <calls> EVALSHA <sha> <keys> bench:{rand}… <args>…`;
 * every `__rand_int__` gets its own random number, so a batch call decides `keysPerCall` random keys.
 * Decisions per second are calls per second × keys per call.
 *
 * @example
 * ```ts
 * const { decisionsPerSecond } = await scriptCeiling(client, server.port, { keysPerCall: 64, calls: 20_000 })
 * ```
 */
export async function scriptCeiling(client: Redis, port: number, options: CeilingOptions): Promise<CeilingResult> {
  const { keysPerCall, calls } = options
  const [script, sha] =
    keysPerCall === 1
      ? [tokenBucketScript, tokenBucketScriptSha1]
      : [tokenBucketBatchScript, tokenBucketBatchScriptSha1]
  await client.script('LOAD', script)
  await checkAdmits(client, sha, keysPerCall)
  const keys = Array.from({ length: keysPerCall }, () => 'bench:{__rand_int__}')
  const argv = argumentsFor(keysPerCall)
  const command = ['EVALSHA', sha, String(keysPerCall), ...keys, ...argv]
  const args = ['-p', String(port), '-c', String(CONNECTIONS), '-P', String(PIPELINE), '-n', String(calls)]
  const cpuBefore = await redisCpuSeconds(client)
  const output = await runRedisBenchmark([...args, '-r', String(KEY_RANGE), '-q', ...command])
  const redisCpuUs = ((await redisCpuSeconds(client)) - cpuBefore) * 1e6
  const match = /([\d.]+) requests per second/.exec(output.split('\r').pop() ?? '')
  if (!match) throw new Error(`unexpected redis-benchmark output: ${output}`)
  return {
    decisionsPerSecond: Number(match[1]) * keysPerCall,
    redisCpuUsPerDecision: redisCpuUs / (calls * keysPerCall),
  }
}

/** One call on fresh keys must admit every step, or the ceiling would measure rejections or errors. */
async function checkAdmits(client: Redis, sha: string, keysPerCall: number): Promise<void> {
  const keys = Array.from({ length: keysPerCall }, (_, i) => `bench:{check${i}}`)
  const argv = argumentsFor(keysPerCall)
  const reply = (await client.evalsha(sha, keysPerCall, ...keys, ...argv)) as number[]
  const allowed = reply.filter((_, i) => i % 2 === 0)
  if (allowed.length !== keysPerCall || allowed.some((a) => a !== 1)) {
    throw new Error(
      `the script did not admit the check call (${JSON.stringify(reply)}): the ceiling would measure rejections`,
    )
  }
}

/** The single-key script's interval, burst, cost; the batch script's one run of n steps: interval, burst, n, n costs. */
function argumentsFor(keysPerCall: number): string[] {
  const [intervalUs, burstUs, cost] = scriptArguments() as [string, string, string]
  if (keysPerCall === 1) return [intervalUs, burstUs, cost]
  return [intervalUs, burstUs, String(keysPerCall), ...Array.from({ length: keysPerCall }, () => cost)]
}

function runRedisBenchmark(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('redis-benchmark', args, { maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`redis-benchmark failed (apt-get install redis-tools): ${stderr}`)) : resolve(stdout),
    ),
  )
}
