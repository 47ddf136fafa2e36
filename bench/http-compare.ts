// Server and Redis CPU per request over HTTP at a fixed load, for HTTP cases from one or more checkouts (each
// built: pnpm build), side by side: an A/B of a change that only shows over sockets (how calls to Redis
// are batched across requests, say). Each case runs bench/http/server.ts of its checkout in a fresh process;
// rounds alternate the cases (the order reversed every other round). Where `taskset` exists, the server and
// Redis share CPU 0 and autocannon runs on CPU 1, so the load generator does not take the server's core.
// Usage: TSX_TSCONFIG_PATH=bench/tsconfig.json node --import tsx bench/http-compare.ts \
//          <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--rate R] [--seconds S]
//   limiter: none | empty | headers | peer-memory | spillway-memory | peer | spillway-redis   (server-config.ts)
import { processCpuUs } from './cpu.js'
import { PINNING_NOTE, parseAbCommandLine, runAbRounds } from './http/ab-rounds.js'
import { checkStatus, runLoad } from './http/load.js'
import { expectedStatus } from './http/server-config.js'
import { redisCpuSeconds } from './redis.js'
import { medianAndRange as cell } from './stats.js'

const USAGE =
  'usage: node --import tsx bench/http-compare.ts <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--rate R|0] [--seconds S]'
const commandLine = parseAbCommandLine(USAGE, ['rate'])
const { framework, rounds, seconds } = commandLine
/** 0: as fast as the server answers (then req/s is the figure to read). */
const rate = Number(commandLine.values.rate ?? 5000)
if (!(rate >= 0)) {
  console.error(USAGE)
  process.exit(2)
}

const figures = new Map<
  string,
  { rps: number[]; serverUs: number[]; redisUs: number[]; p50: number[]; p99: number[] }
>()
await runAbRounds(
  commandLine,
  { serverArgs: [], rate: rate === 0 ? undefined : rate },
  async ({ httpCase, round, config, server, load, admin }) => {
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
  },
)

const speed = rate === 0 ? 'full speed' : `${rate} req/s`
console.log(`${framework} at ${speed}, ${seconds} s × ${rounds} rounds${PINNING_NOTE}: median (range)`)
console.log('| case | req/s | server CPU µs/req | Redis CPU µs/req | p50 ms | p99 ms |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
for (const [label, entry] of figures) {
  const cells = [
    cell(entry.rps, 0),
    cell(entry.serverUs, 1),
    cell(entry.redisUs, 1),
    cell(entry.p50, 0),
    cell(entry.p99, 0),
  ]
  console.log(`| ${label} | ${cells.join(' | ')} |`)
}
