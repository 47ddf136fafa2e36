// The process of one library-level case: CONCURRENCY callers (or one loop, for a sync API) decide over KEYS keys for a fixed time.
// Run: node --import tsx bench/library/worker.ts <case id> <seconds> <redis port> [callers, default 100]   (from the repository root)
import { connectClient, redisCpuSeconds } from '../redis.js'
import { type Contender, contender, type Decide, type DecideSync, LIBRARY_CASES } from './contenders.js'

const KEYS = Array.from({ length: 1000 }, (_, i) => `k${i}`)
const WARMUP_MS = 1000
/** Sync decisions between two looks at the clock. */
const SYNC_CHUNK = 1000

/** Decides for `durationMs`, CONCURRENCY callers at once, and returns how many decisions were made. */
async function drive(decide: Decide, durationMs: number): Promise<number> {
  const deadline = performance.now() + durationMs
  let decisions = 0
  const loop = async () => {
    while (performance.now() < deadline) await decide(KEYS[decisions++ % KEYS.length]!)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
  return decisions
}

/** Decides in a plain loop for `durationMs` and returns how many decisions were made. */
function driveSync(decide: DecideSync, durationMs: number): number {
  const deadline = performance.now() + durationMs
  let decisions = 0
  while (performance.now() < deadline) {
    for (let i = 0; i < SYNC_CHUNK; i++) decide(KEYS[decisions++ % KEYS.length]!)
  }
  return decisions
}

function run(subject: Contender, durationMs: number): Promise<number> {
  return subject.sync ? Promise.resolve(driveSync(subject.decide, durationMs)) : drive(subject.decide, durationMs)
}

const [id, seconds, port, callers = '100'] = process.argv.slice(2)
const CONCURRENCY = Number(callers)
const spec = LIBRARY_CASES.find((c) => c.id === id)
if (!spec) throw new Error(`unknown library case ${id}`)
const client = await connectClient(Number(port))
const subject = contender(spec.id, spec.redis ? client : undefined)
await run(subject, WARMUP_MS)
const cpuBefore = await redisCpuSeconds(client)
const nodeCpuBefore = process.cpuUsage()
const started = performance.now()
const decisions = await run(subject, Number(seconds) * 1000)
const elapsedS = (performance.now() - started) / 1000
const nodeCpu = process.cpuUsage(nodeCpuBefore)
const redisCpuUs = ((await redisCpuSeconds(client)) - cpuBefore) * 1e6
const result = {
  decisionsPerSecond: decisions / elapsedS,
  redisCpuUsPerDecision: redisCpuUs / decisions,
  /** This process's CPU (user + system, all threads) per decision: what a contender costs the app server. */
  nodeCpuUsPerDecision: (nodeCpu.user + nodeCpu.system) / decisions,
}
console.log(`result ${JSON.stringify(result)}`)
client.disconnect()
