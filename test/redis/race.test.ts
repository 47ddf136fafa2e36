// The race test: 3 OS processes × 50 in-flight decisions on one key must admit exactly the capacity.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { askWorker, startWorker, stopWorker, type WorkerReply } from '../harness/worker-process.js'
import { CLIENT_KINDS } from './client-kinds.js'
import type { RaceReply, RaceRequest, RaceStore } from './race-worker.js'

const WORKERS = 3
const IN_FLIGHT = 50
const WAVE = 10
const CAPACITY = 100
const REPETITIONS = 20
const START_DELAY_MS = 15
const WORKER_PATH = fileURLToPath(new URL('./race-worker.ts', import.meta.url))

let server: RedisServer
let workers: ChildProcess[] = []

function ask(worker: ChildProcess, request: Omit<RaceRequest, 'id'>): Promise<number> {
  return askWorker<Omit<RaceRequest, 'id'>, RaceReply & WorkerReply>(worker, request).then(
    (reply) => reply.admitted ?? Number.NaN,
  )
}

/** Admitted decisions per worker in one repetition: all start firing IN_FLIGHT decisions on `key` at one instant. */
function admittedPerWorker(store: RaceRequest['store'], key: string): Promise<number[]> {
  const startAtMs = performance.timeOrigin + performance.now() + START_DELAY_MS
  return Promise.all(
    workers.map((worker) =>
      ask(worker, { store, key, inFlight: IN_FLIGHT, wave: WAVE, capacity: CAPACITY, startAtMs }),
    ),
  )
}

async function repeat(store: RaceStore): Promise<number[][]> {
  const repetitions: number[][] = []
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    repetitions.push(await admittedPerWorker(store, `${store}-client-${repetition}`))
  }
  return repetitions
}

const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0)

describe(`race: ${WORKERS} processes × ${IN_FLIGHT} in flight (waves of ${WAVE}) on one key, capacity ${CAPACITY}`, () => {
  beforeAll(async () => {
    server = await startRedisServer()
    const prefix = randomKeyPrefix('race')
    workers = await Promise.all(
      Array.from({ length: WORKERS }, () => startWorker(WORKER_PATH, [String(server.port), prefix])),
    )
  })

  afterAll(async () => {
    await Promise.all(workers.map(stopWorker))
    await server?.stop()
  })

  const luaStores: RaceStore[] = CLIENT_KINDS.flatMap((kind) => [kind, `${kind}, batch: false` as const])
  it.each(luaStores)(
    `RedisStore via %s admits exactly ${CAPACITY} in each of ${REPETITIONS} repetitions`,
    async (store) => {
      const repetitions = await repeat(store)
      expect(repetitions.map(sum)).toEqual(Array(REPETITIONS).fill(CAPACITY))
      // The processes really raced: in some repetition at least two of them got only part of their requests.
      const interleaved = repetitions.filter((counts) => counts.filter((c) => c > 0 && c < IN_FLIGHT).length >= 2)
      console.info(`${store} admitted per worker: ${repetitions.map((counts) => counts.join('/')).join(' ')}`)
      expect(interleaved.length).toBeGreaterThan(0)
    },
  )

  it('the naive check-then-act store over-admits (negative control: the test can fail)', async () => {
    const totals = (await repeat('naive')).map(sum)
    console.info(`naive check-then-act admitted per repetition (capacity ${CAPACITY}): ${totals.join(' ')}`)
    expect(Math.max(...totals)).toBeGreaterThan(CAPACITY)
  })
})
