// The race test: 3 OS processes × 50 in-flight decisions on one key must admit exactly the capacity.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
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
let nextId = 1

/** Sends one request to a worker and resolves with its reply (matched by id). */
function ask(worker: ChildProcess, request: Omit<RaceRequest, 'id'>): Promise<number> {
  const id = nextId++
  return new Promise((resolve, reject) => {
    const onMessage = (reply: RaceReply) => {
      if (reply.id !== id) return
      worker.off('message', onMessage)
      if (reply.error !== undefined) reject(new Error(reply.error))
      else resolve(reply.admitted ?? Number.NaN)
    }
    worker.on('message', onMessage)
    worker.send({ ...request, id } satisfies RaceRequest)
  })
}

function startWorker(port: number, prefix: string): Promise<ChildProcess> {
  const worker = fork(WORKER_PATH, [String(port), prefix], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker))
    worker.once('exit', (code) => reject(new Error(`race worker exited with ${code} before it was ready`)))
  })
}

/** Closing the IPC channel makes a worker quit its client and exit; SIGTERM by pid if it lingers. */
async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return
  const exited = new Promise((resolve) => worker.once('exit', resolve))
  const timer = setTimeout(() => worker.pid !== undefined && process.kill(worker.pid, 'SIGTERM'), 2000)
  worker.disconnect()
  await exited
  clearTimeout(timer)
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
    workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(server.port, prefix)))
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
