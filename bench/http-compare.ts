// Server and Redis CPU per request over HTTP at a fixed load, for HTTP cases from one or more checkouts (each
// built: pnpm build), side by side: an A/B of a change that only shows over sockets (how calls to Redis
// are batched across requests, say). Each case runs bench/http/server.ts of its checkout in a fresh process;
// rounds alternate the cases (the order reversed every other round). Where `taskset` exists, the server and
// Redis share CPU 0 and autocannon runs on CPU 1, so the load generator does not take the server's core.
// Usage: TSX_TSCONFIG_PATH=bench/tsconfig.json node --import tsx bench/http-compare.ts \
//          <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--rate R] [--seconds S]
//   limiter: none | empty | headers | peer-memory | spillway-memory | peer | spillway-redis   (server-config.ts)
import { parseArgs } from 'node:util'
import { processCpuUs } from './cpu.js'
import { FRAMEWORKS, type Framework } from './http/apps.js'
import { CAN_PIN, parseCheckoutCase, pin, startCheckoutServer } from './http/checkout-server.js'
import { checkStatus, runLoad } from './http/load.js'
import { expectedStatus, type ServerConfig } from './http/server-config.js'
import { connectClient, redisCpuSeconds, startRedisServer } from './redis.js'
import { medianAndRange } from './stats.js'

const USAGE =
  'usage: node --import tsx bench/http-compare.ts <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--rate R|0] [--seconds S]'
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } },
})
const [framework, ...specs] = positionals as [Framework, ...string[]]
const rounds = Number(values.rounds ?? 3)
/** 0: as fast as the server answers (then req/s is the figure to read). */
const rate = Number(values.rate ?? 5000)
const seconds = Number(values.seconds ?? 4)

if (!FRAMEWORKS.includes(framework) || specs.length === 0 || !(rounds > 0 && rate >= 0 && seconds > 0)) {
  console.error(USAGE)
  process.exit(2)
}
const cases = specs.map((spec) => parseCheckoutCase(spec, USAGE))
const pinned = CAN_PIN

const redis = await startRedisServer()
const admin = await connectClient(redis.port)
pin(redis.pid, '0')
const figures = new Map<
  string,
  { rps: number[]; serverUs: number[]; redisUs: number[]; p50: number[]; p99: number[] }
>()
try {
  for (let round = 0; round < rounds; round++) {
    for (const httpCase of round % 2 ? [...cases].reverse() : cases) {
      await admin.flushall()
      const config: ServerConfig = { ...httpCase, framework, redisPort: redis.port }
      const server = startCheckoutServer(httpCase.checkout, config)
      const load = {
        port: Number(await server.nextLine('port ')),
        connections: 100,
        rate: rate === 0 ? undefined : rate,
        cpus: pinned ? '1' : undefined,
      }
      try {
        pin(server.pid, '0')
        await runLoad({ ...load, seconds: 2 }) // JIT warm-up; drains the bucket of a reject case
        const serverBefore = processCpuUs(server.pid)
        const redisBefore = await redisCpuSeconds(admin)
        const result = await runLoad({ ...load, seconds })
        const redisUs = ((await redisCpuSeconds(admin)) - redisBefore) * 1e6
        const serverUs = processCpuUs(server.pid) - serverBefore
        checkStatus(result, expectedStatus(config), httpCase.label)
        const entry = figures.get(httpCase.label) ?? { rps: [], serverUs: [], redisUs: [], p50: [], p99: [] }
        entry.rps.push(result.requestsPerSecond)
        entry.serverUs.push(serverUs / result.requests)
        entry.redisUs.push(redisUs / result.requests)
        entry.p50.push(result.latencyMs.p50)
        entry.p99.push(result.latencyMs.p99)
        figures.set(httpCase.label, entry)
        console.error(`round ${round + 1}/${rounds}: ${httpCase.label} ${(serverUs / result.requests).toFixed(1)} µs`)
      } finally {
        await server.stop()
      }
    }
  }
} finally {
  admin.disconnect()
  await redis.stop()
}

console.log(
  `${framework} at ${rate === 0 ? 'full speed' : `${rate} req/s`}, ${seconds} s × ${rounds} rounds${pinned ? ', server + Redis on CPU 0, load on CPU 1' : ''}: median (range)`,
)
const cell = medianAndRange
console.log(
  '| case | req/s | server CPU µs/req | Redis CPU µs/req | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: | ---: |',
)
for (const [label, entry] of figures) {
  console.log(
    `| ${label} | ${cell(entry.rps, 0)} | ${cell(entry.serverUs, 1)} | ${cell(entry.redisUs, 1)} | ${cell(entry.p50, 0)} | ${cell(entry.p99, 0)} |`,
  )
}
