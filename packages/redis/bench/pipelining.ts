// Measures RedisStore decisions/s with and without round-trip sharing, and Redis memory per bucket key.
// Run from the repository root: node --import tsx packages/redis/bench/pipelining.ts
import { execFileSync } from 'node:child_process'
import type { Policy } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { Redis, type RedisOptions } from 'ioredis'
import { startRedisServer } from '../../../test/harness/redis-server.js'
import { RedisStore, tokenBucketScript, tokenBucketScriptSha1 } from '../src/index.js'

const DECISIONS = 20_000
const CONCURRENCY = 100
const KEYS = 1_000
const ROUNDS = 5
const MEMORY_KEYS = 100_000

const SAFE: RedisOptions = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  lazyConnect: true,
}
// Large enough that most decisions are admitted, i.e. write.
const policy = createPolicy({ name: 'bench', capacity: 1_000_000, refillRate: 1_000 })

type Mode = (store: RedisStore, policy: Policy) => Promise<void>

/** CONCURRENCY loops, each awaiting one consume at a time: concurrent decisions, like a busy server. */
const concurrentConsumes: Mode = async (store) => {
  let issued = 0
  const loop = async () => {
    while (issued < DECISIONS) await store.consume(`default:{k${issued++ % KEYS}}`, policy, 1)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
}

interface Contender {
  readonly label: string
  readonly options: RedisOptions
  readonly mode: Mode
}

const CONTENDERS: readonly Contender[] = [
  { label: 'consume, no tick-sharing', options: {}, mode: concurrentConsumes },
  {
    label: 'consume, enableAutoPipelining (tick-sharing)',
    options: { enableAutoPipelining: true },
    mode: concurrentConsumes,
  },
]

/** Runs the contenders in interleaved rounds (ABCABC…) so drift on a shared machine hits all alike. */
async function compare(port: number): Promise<void> {
  const runs = await Promise.all(
    CONTENDERS.map(async (contender) => {
      const client = new Redis(port, '127.0.0.1', { ...SAFE, ...contender.options })
      await client.connect()
      const store = new RedisStore({ client, prefix: 'bench:' })
      await contender.mode(store, policy) // warm up
      return { contender, client, store, rates: [] as number[] }
    }),
  )
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of runs) {
      const started = process.hrtime.bigint()
      await run.contender.mode(run.store, policy)
      run.rates.push(DECISIONS / (Number(process.hrtime.bigint() - started) / 1e9))
    }
  }
  for (const run of runs) {
    run.client.disconnect()
    const median = Math.round(run.rates.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number)
    console.log(`${run.contender.label.padEnd(46)} ${String(median).padStart(8)} decisions/s (median of ${ROUNDS})`)
  }
}

function redisBenchmarkCeiling(port: number): void {
  const args = ['-p', String(port), '-n', String(DECISIONS), '-c', String(CONCURRENCY), '-r', String(KEYS), '-q']
  const script = [tokenBucketScriptSha1, '1', 'rb:{__rand_int__}', policy.emissionIntervalUs, policy.burstUs, '1']
  try {
    const out = execFileSync('redis-benchmark', [...args, 'EVALSHA', ...script.map(String)], { encoding: 'utf8' })
    console.log(`redis-benchmark EVALSHA, -c ${CONCURRENCY} (ceiling)       ${out.trim().split('\r').pop()}`)
  } catch {
    console.log('redis-benchmark not available: no ceiling measured')
  }
}

async function memoryPerKey(port: number): Promise<void> {
  const client = new Redis(port, '127.0.0.1', SAFE)
  await client.connect()
  await client.flushall()
  const store = new RedisStore({ client })
  const hourly = createPolicy({ capacity: 100, refillRate: { tokens: 1, per: '1h' } }) // keys live an hour
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1])
  const before = await usedMemory()
  for (let start = 0; start < MEMORY_KEYS; start += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.consume(storeKey('default', ipOf(start + i)), hourly, 1)),
    )
  }
  const perKey = ((await usedMemory()) - before) / MEMORY_KEYS
  const sample = Number(await client.call('MEMORY', 'USAGE', store.redisKey(storeKey('default', ipOf(0)))))
  console.log(`memory: ${perKey.toFixed(1)} B/key from used_memory over ${MEMORY_KEYS} keys; MEMORY USAGE ${sample} B`)
  client.disconnect()
}

const ipOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`

const server = await startRedisServer()
try {
  const loader = new Redis(server.port, '127.0.0.1', SAFE)
  await loader.connect()
  await loader.script('LOAD', tokenBucketScript)
  loader.disconnect()
  console.log(
    `${DECISIONS} decisions, ${CONCURRENCY} concurrent, ${KEYS} keys, loopback, redis-server pid ${server.pid}`,
  )
  await compare(server.port)
  redisBenchmarkCeiling(server.port)
  await memoryPerKey(server.port)
} finally {
  await server.stop()
}
