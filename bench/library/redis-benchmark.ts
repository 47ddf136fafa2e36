// The ceiling for Spillway's script: redis-benchmark sending EVALSHA of tokenBucketScript, no Node in the path.
import { execFile } from 'node:child_process'
import type { Redis } from 'ioredis'
import { redisCpuSeconds } from '../redis.js'
import { scriptArguments, tokenBucketScript, tokenBucketScriptSha1 } from '../spillway.js'

export interface CeilingResult {
  readonly callsPerSecond: number
  readonly redisCpuUsPerCall: number
}

/**
 * Runs `redis-benchmark -c 100 -r 1000 EVALSHA <sha> 1 key:{rand} <args>` for `calls` calls.
 *
 * @example
 * ```ts
 * const { callsPerSecond } = await scriptCeiling(client, server.port, 100_000)
 * ```
 */
export async function scriptCeiling(client: Redis, port: number, calls: number): Promise<CeilingResult> {
  await client.script('LOAD', tokenBucketScript)
  const [allowed] = (await client.evalsha(tokenBucketScriptSha1, 1, 'bench:{check}', ...scriptArguments())) as number[]
  if (allowed !== 1) throw new Error('the script did not admit the check call: the ceiling would measure rejections')
  const args = ['-p', String(port), '-c', '100', '-n', String(calls), '-r', '1000', '-q']
  const command = ['EVALSHA', tokenBucketScriptSha1, '1', 'bench:{__rand_int__}', ...scriptArguments()]
  const cpuBefore = await redisCpuSeconds(client)
  const output = await new Promise<string>((resolve, reject) =>
    execFile('redis-benchmark', [...args, ...command], (error, stdout, stderr) =>
      error ? reject(new Error(`redis-benchmark failed (apt-get install redis-tools): ${stderr}`)) : resolve(stdout),
    ),
  )
  const redisCpuUs = ((await redisCpuSeconds(client)) - cpuBefore) * 1e6
  const match = /([\d.]+) requests per second/.exec(output.split('\r').pop() ?? '')
  if (!match) throw new Error(`unexpected redis-benchmark output: ${output}`)
  return { callsPerSecond: Number(match[1]), redisCpuUsPerCall: redisCpuUs / calls }
}
