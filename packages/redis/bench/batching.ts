// Measures RedisStore decisions/s and Redis CPU per decision, batched and not, per client; and Redis bytes per key.
// Run from the repository root: node --import tsx packages/redis/bench/batching.ts
import { createPolicy, storeKey } from '@spillway/core/store'
import { Redis, type RedisOptions } from 'ioredis'
import { createClient } from 'redis'
import { startRedisServer } from '../../../test/harness/redis-server.js'
import { RedisStore, type RedisStoreOptions, tokenBucketBatchScript, tokenBucketScript } from '../src/index.js'

const DECISIONS = 30_000
const CONCURRENCY = 200
const KEYS = 10_000
const ROUNDS = 3
const MEMORY_KEYS = 100_000

const SAFE: RedisOptions = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  lazyConnect: true,
}
// Large enough that most decisions are admitted, i.e. write.
const policy = createPolicy({ name: 'bench', capacity: 1_000_000, refillRate: 1_000 })

interface Connection {
  readonly client: RedisStoreOptions['client']
  close(): void
}

interface Contender {
  readonly label: string
  readonly connect: (port: number) => Promise<Connection>
  readonly batch: boolean
}

async function ioredis(port: number): Promise<Connection> {
  const client = new Redis(port, '127.0.0.1', SAFE)
  await client.connect()
  return { client, close: () => client.disconnect() }
}

async function nodeRedis(port: number): Promise<Connection> {
  const client = createClient({ socket: { host: '127.0.0.1', port }, disableOfflineQueue: true })
  await client.connect()
  return { client, close: () => client.destroy() }
}

const CONTENDERS: readonly Contender[] = [
  { label: 'ioredis, batched (default)', connect: ioredis, batch: true },
  { label: 'ioredis, batch: false', connect: ioredis, batch: false },
  { label: 'node-redis, batched (default)', connect: nodeRedis, batch: true },
  { label: 'node-redis, batch: false', connect: nodeRedis, batch: false },
]

/** CONCURRENCY loops, each awaiting one consume at a time on spread keys: a busy server's decisions. */
async function consumeLoops(store: RedisStore): Promise<void> {
  let issued = 0
  const loop = async () => {
    while (issued < DECISIONS) await store.consume(`bench:{k${(issued++ * 7919) % KEYS}}`, policy, 1)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
}

/** Redis's own CPU seconds (user + sys) from INFO cpu. */
async function redisCpuSeconds(probe: Redis): Promise<number> {
  const info = await probe.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1])
  return field('used_cpu_user') + field('used_cpu_sys')
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

/** Interleaved rounds (ABCD ABCD …) so drift on a shared machine hits all contenders alike. */
async function compare(port: number, probe: Redis): Promise<void> {
  const runs = await Promise.all(
    CONTENDERS.map(async (contender) => {
      const connection = await contender.connect(port)
      const store = new RedisStore({ client: connection.client, prefix: 'b:', batch: contender.batch })
      await consumeLoops(store) // warm up
      return { contender, connection, store, rates: [] as number[], cpuUs: [] as number[] }
    }),
  )
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of runs) {
      const cpuBefore = await redisCpuSeconds(probe)
      const started = process.hrtime.bigint()
      await consumeLoops(run.store)
      run.rates.push(DECISIONS / (Number(process.hrtime.bigint() - started) / 1e9))
      run.cpuUs.push((((await redisCpuSeconds(probe)) - cpuBefore) * 1e6) / DECISIONS)
    }
  }
  console.log('| client, mode | decisions/s (median; min–max) | Redis CPU µs/decision (median; min–max) |')
  console.log('| --- | ---: | ---: |')
  const rate = (v: number) => Math.round(v / 1000)
  const cpu = (v: number) => v.toFixed(1)
  for (const run of runs) {
    run.connection.close()
    const rates = `${rate(median(run.rates))} k (${rate(Math.min(...run.rates))}–${rate(Math.max(...run.rates))} k)`
    const cpus = `${cpu(median(run.cpuUs))} (${cpu(Math.min(...run.cpuUs))}–${cpu(Math.max(...run.cpuUs))})`
    console.log(`| ${run.contender.label} | ${rates} | ${cpus} |`)
  }
}

/** used_memory growth over MEMORY_KEYS bucket keys (default policy name, IPv4 client keys). */
async function memoryPerKey(port: number, prefix: string): Promise<void> {
  const client = new Redis(port, '127.0.0.1', SAFE)
  await client.connect()
  await client.flushall()
  const store = new RedisStore({ client, prefix })
  const hourly = createPolicy({ capacity: 100, refillRate: { tokens: 1, per: '1h' } }) // keys live an hour
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1])
  const before = await usedMemory()
  for (let start = 0; start < MEMORY_KEYS; start += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.consume(storeKey('default', ipOf(start + i)), hourly, 1)),
    )
  }
  const perKey = ((await usedMemory()) - before) / MEMORY_KEYS
  const key = store.redisKey(storeKey('default', ipOf(0)))
  const sample = Number(await client.call('MEMORY', 'USAGE', key))
  console.log(
    `memory: ${perKey.toFixed(1)} B/key (used_memory, ${MEMORY_KEYS} keys); MEMORY USAGE ${key} = ${sample} B`,
  )
  client.disconnect()
}

const ipOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`

const server = await startRedisServer()
try {
  const probe = new Redis(server.port, '127.0.0.1', SAFE)
  await probe.connect()
  await probe.script('LOAD', tokenBucketScript)
  await probe.script('LOAD', tokenBucketBatchScript)
  console.log(
    `${DECISIONS} decisions × ${ROUNDS} interleaved rounds, ${CONCURRENCY} concurrent, ${KEYS} keys, loopback, ` +
      `redis-server pid ${server.pid}`,
  )
  await compare(server.port, probe)
  await memoryPerKey(server.port, 'spillway:') // the default prefix
  await memoryPerKey(server.port, '')
  probe.disconnect()
} finally {
  await server.stop()
}
