// What share of the server's busy CPU a limiter takes over real HTTP, from a V8 CPU profile of the server at
// full speed: a within-process figure, so the machine's drift between runs (which moves req/s ratios by
// more than a limiter costs) cancels out. Cases come from one or more checkouts (each built: pnpm build),
// in alternating rounds; server and Redis pinned to CPU 0 and autocannon to CPU 1 where `taskset` exists.
// A share s of a CPU-bound server's time means about (1 − s) of its req/s without the limiter.
// Usage: TSX_TSCONFIG_PATH=bench/tsconfig.json node --import tsx bench/http-profile.ts \
//          <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--seconds S] [--keep DIR]
//   --keep DIR: write the profiles there (open them in Chrome DevTools) instead of a temporary directory
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FRAMEWORKS, type Framework } from './http/apps.js'
import { CAN_PIN, parseCheckoutCase, pin, startCheckoutServer } from './http/checkout-server.js'
import { checkStatus, runLoad } from './http/load.js'
import { type CpuProfile, limiterShare } from './http/profile-share.js'
import { expectedStatus, type ServerConfig } from './http/server-config.js'
import { connectClient, startRedisServer } from './redis.js'
import { medianAndRange } from './stats.js'

const USAGE =
  'usage: node --import tsx bench/http-profile.ts <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--seconds S] [--keep DIR]'
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string' }, seconds: { type: 'string' }, keep: { type: 'string' } },
})
const [framework, ...specs] = positionals as [Framework, ...string[]]
const rounds = Number(values.rounds ?? 3)
const seconds = Number(values.seconds ?? 4)
if (!FRAMEWORKS.includes(framework) || specs.length === 0 || !(rounds > 0 && seconds > 0)) {
  console.error(USAGE)
  process.exit(2)
}
const cases = specs.map((spec) => parseCheckoutCase(spec, USAGE))

const profiles = values.keep ?? mkdtempSync(join(tmpdir(), 'spillway-profile-'))
mkdirSync(profiles, { recursive: true })
const redis = await startRedisServer()
const admin = await connectClient(redis.port)
pin(redis.pid, '0')
const figures = new Map<string, { rps: number[]; busy: number[]; limiter: number[] }>()
try {
  for (let round = 0; round < rounds; round++) {
    for (const httpCase of round % 2 ? [...cases].reverse() : cases) {
      await admin.flushall()
      const config: ServerConfig = { ...httpCase, framework, redisPort: redis.port }
      const server = startCheckoutServer(httpCase.checkout, config, ['--profile'])
      try {
        const load = { port: Number(await server.nextLine('port ')), connections: 100, cpus: CAN_PIN ? '1' : undefined }
        pin(server.pid, '0')
        await runLoad({ ...load, seconds: 2 }) // JIT warm-up; drains the bucket of a reject case
        server.send('start')
        await server.nextLine('started')
        const result = await runLoad({ ...load, seconds })
        const file = join(profiles, `${httpCase.label.replace(/\W+/g, '-').replace(/^-+/, '')}-${round + 1}.cpuprofile`)
        server.send(`stop ${file}`)
        await server.nextLine('stopped')
        checkStatus(result, expectedStatus(config), httpCase.label)
        const share = limiterShare(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)
        const entry = figures.get(httpCase.label) ?? { rps: [], busy: [], limiter: [] }
        entry.rps.push(result.requestsPerSecond)
        entry.busy.push(share.busy * 100)
        entry.limiter.push(share.limiter * 100)
        figures.set(httpCase.label, entry)
        console.error(`round ${round + 1}/${rounds}: ${httpCase.label} ${(share.limiter * 100).toFixed(1)} %`)
      } finally {
        await server.stop()
      }
    }
  }
} finally {
  admin.disconnect()
  await redis.stop()
  if (values.keep === undefined) rmSync(profiles, { recursive: true, force: true })
}

console.log(
  `${framework} at full speed, profiled ${seconds} s × ${rounds} rounds${CAN_PIN ? ', server + Redis on CPU 0, load on CPU 1' : ''}: median (range)`,
)
const cell = medianAndRange
console.log('| case | req/s | server busy, % of samples | limiter, % of busy |\n| --- | ---: | ---: | ---: |')
for (const [label, entry] of figures) {
  console.log(`| ${label} | ${cell(entry.rps, 0)} | ${cell(entry.busy, 0)} | ${cell(entry.limiter, 1)} |`)
}
