// Spillway's batched RedisStore against rate-limiter-flexible's RateLimiterRedis (and optionally other checkouts' Spillway) on one private Redis, in interleaved rounds.
// Run from the repository root after `pnpm build`:
//   TSX_TSCONFIG_PATH=bench/tsconfig.json node --import tsx bench/library/redis-speed.ts \
//     [--rounds 3] [--seconds 5] [--callers 100] [--profile <dir>] [--baseline <checkout, built>]...
//     [--case library-redis-spillway | library-redis-spillway-stacked | …]  (a library case id; default batched RedisStore)
// Each round runs each contender in its own worker process (bench/library/worker.ts, as `pnpm bench`
// does). Each --baseline adds that checkout's worker and Spillway build as a contender (before/after
// in one run; its worker must take the same arguments). --profile runs this checkout's Spillway workers under `node --cpu-prof`, profiles in <dir>.
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { connectClient, startRedisServer } from '../redis.js'

interface Round {
  readonly decisionsPerSecond: number
  readonly redisCpuUsPerDecision: number
  /** Absent from workers that do not report it (an older baseline). */
  readonly nodeCpuUsPerDecision?: number
}

interface Contender {
  readonly label: string
  readonly caseId: string
  /** The checkout whose worker (and so whose Spillway build) runs. */
  readonly root: string
  readonly profiled: boolean
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    callers: { type: 'string', default: '100' },
    profile: { type: 'string' },
    baseline: { type: 'string', multiple: true },
    case: { type: 'string', default: 'library-redis-spillway' },
  },
})
const seconds = values.seconds
/** The Spillway case every checkout runs, and the peer beside it (two limiters for the two-policy cases). */
const spillwayCase = values.case
const peerCase = spillwayCase.includes('stacked') ? 'library-redis-rlf-union' : 'library-redis-rlf'
const contenders: Contender[] = [
  { label: 'Spillway', caseId: spillwayCase, root: '.', profiled: values.profile !== undefined },
  ...(values.baseline ?? []).map((root) => ({
    label: `Spillway at ${basename(root)}`,
    caseId: spillwayCase,
    root,
    profiled: false,
  })),
  { label: 'rate-limiter-flexible', caseId: peerCase, root: '.', profiled: false },
]

/** One worker process to its natural exit (so `--cpu-prof` writes its profile); its result line. */
function runWorker(contender: Contender, port: number): Promise<Round> {
  const profile = contender.profiled ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []
  const args = [
    ...profile,
    '--import',
    'tsx',
    'bench/library/worker.ts',
    contender.caseId,
    seconds,
    String(port),
    values.callers,
  ]
  const child = spawn(process.execPath, args, { cwd: contender.root, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      const line = output.split('\n').find((l) => l.startsWith('result '))
      if (code !== 0 || line === undefined) reject(new Error(`${contender.label} worker exited ${code}: ${output}`))
      else resolve(JSON.parse(line.slice('result '.length)) as Round)
    })
  })
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
const redis = await startRedisServer()
const admin = await connectClient(redis.port)
const rounds = new Map<Contender, Round[]>(contenders.map((c) => [c, []]))
try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const contender of contenders) {
      await admin.flushall()
      const result = await runWorker(contender, redis.port)
      rounds.get(contender)?.push(result)
      console.log(
        `round ${round} ${contender.label}: ${Math.round(result.decisionsPerSecond)} decisions/s, CPU µs/decision: ` +
          `Redis ${result.redisCpuUsPerDecision.toFixed(2)}, Node ${result.nodeCpuUsPerDecision?.toFixed(2) ?? '?'} ` +
          `(machine load ${loadavg()[0]?.toFixed(1)})`,
      )
    }
  }
} finally {
  admin.disconnect()
  await redis.stop()
}
// Each round's contenders ran back to back: the median of per-round ratios resists a machine whose load changes.
const ratioToFirst = (other: Contender) => {
  const first = rounds.get(contenders[0] as Contender) ?? []
  const ratios = (rounds.get(other) ?? []).map(
    (r, i) => (first[i]?.decisionsPerSecond ?? Number.NaN) / r.decisionsPerSecond,
  )
  return median(ratios)
}
for (const contender of contenders.slice(1)) {
  console.log(
    `median of per-round ratios, ${contenders[0]?.label} / ${contender.label}: ×${ratioToFirst(contender).toFixed(2)}`,
  )
}
const rlf = median((rounds.get(contenders.at(-1) as Contender) ?? []).map((r) => r.decisionsPerSecond))
for (const [contender, results] of rounds) {
  const rate = median(results.map((r) => r.decisionsPerSecond))
  const redisUs = median(results.map((r) => r.redisCpuUsPerDecision))
  const nodeUs = median(results.map((r) => r.nodeCpuUsPerDecision ?? Number.NaN))
  console.log(
    `median ${contender.label}: ${Math.round(rate)} decisions/s (×${(rate / rlf).toFixed(2)} rate-limiter-flexible), ` +
      `CPU µs/decision Redis ${redisUs.toFixed(2)}, Node ${nodeUs.toFixed(2)}`,
  )
}
