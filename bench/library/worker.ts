// The process of one library-level case: CONCURRENCY loops decide over KEYS keys for a fixed time.
// Run: node --import tsx bench/library/worker.ts <case id> <seconds> <redis port>   (from the repository root)
import { connectClient, redisCpuSeconds } from '../redis.js'
import { contender, type Decide, LIBRARY_CASES, type LibraryCaseId } from './contenders.js'

const CONCURRENCY = 100
const KEYS = 1000
const WARMUP_MS = 1000

/** Decides for `durationMs`, CONCURRENCY callers at once, and returns how many decisions were made. */
async function drive(decide: Decide, durationMs: number): Promise<number> {
  const deadline = performance.now() + durationMs
  let decisions = 0
  const loop = async () => {
    while (performance.now() < deadline) await decide(`k${decisions++ % KEYS}`)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
  return decisions
}

const [id, seconds, port] = process.argv.slice(2)
const spec = LIBRARY_CASES.find((c) => c.id === id)
if (!spec) throw new Error(`unknown library case ${id}`)
const client = await connectClient(Number(port))
const decide = contender(spec.id as LibraryCaseId, spec.redis ? client : undefined)
await drive(decide, WARMUP_MS)
const cpuBefore = await redisCpuSeconds(client)
const started = performance.now()
const decisions = await drive(decide, Number(seconds) * 1000)
const elapsedS = (performance.now() - started) / 1000
const redisCpuUs = ((await redisCpuSeconds(client)) - cpuBefore) * 1e6
console.log(
  `result ${JSON.stringify({ decisionsPerSecond: decisions / elapsedS, redisCpuUsPerDecision: redisCpuUs / decisions })}`,
)
client.disconnect()
