// maxWait across processes on one Redis: held requests go on within B + R·t, in arrival order per process.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { askWorker, startWorker, stopWorker, type WorkerReply } from '../harness/worker-process.js'
import { WAIT_POLICY, type WaitMode, type WaitReply, type WaitRequest, type WaitResult } from './wait-protocol.js'

const WORKERS = 3
const PER_WORKER = 40
const GAP_MS = 5
const WORKER_PATH = fileURLToPath(new URL('./wait-worker.ts', import.meta.url))
const { capacity: B, refillRate: R, maxWait: MAX_WAIT_MS } = WAIT_POLICY

function ask(worker: ChildProcess, request: Omit<WaitRequest, 'id'>): Promise<WaitReply> {
  return askWorker<Omit<WaitRequest, 'id'>, WaitReply & WorkerReply>(worker, request).then((reply) => reply)
}

let server: RedisServer
let workers: ChildProcess[] = []

/** Every worker fires PER_WORKER requests, GAP_MS apart, on one key, from one instant. */
async function fleetRun(mode: WaitMode, key: string): Promise<{ startAtMs: number; replies: WaitReply[] }> {
  const startAtMs = performance.timeOrigin + performance.now() + 100
  const request = { mode, key, count: PER_WORKER, gapMs: GAP_MS, startAtMs }
  return { startAtMs, replies: await Promise.all(workers.map((worker) => ask(worker, request))) }
}

/** The most tokens that went on in any window [a, b] beyond B + R·(b − a), over every pair of admissions. */
function worstExcess(doneAtMs: number[]): number {
  const times = [...doneAtMs].sort((a, b) => a - b)
  let worst = Number.NEGATIVE_INFINITY
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const spanS = ((times[j] as number) - (times[i] as number)) / 1000
      worst = Math.max(worst, j - i + 1 - (B + R * spanS))
    }
  }
  return worst
}

const admittedOf = (replies: WaitReply[]): WaitResult[] =>
  replies.flatMap(({ results }) => (results ?? []).filter(({ admitted }) => admitted))

describe(`maxWait on Redis: ${WORKERS} processes × ${PER_WORKER} requests ${GAP_MS} ms apart, B ${B}, R ${R}/s, maxWait ${MAX_WAIT_MS} ms`, () => {
  beforeAll(async () => {
    server = await startRedisServer()
    const prefix = randomKeyPrefix('wait')
    workers = await Promise.all(
      Array.from({ length: WORKERS }, () => startWorker(WORKER_PATH, [String(server.port), prefix])),
    )
  })

  afterAll(async () => {
    await Promise.all(workers.map(stopWorker))
    await server?.stop()
  })

  it('holds requests so that no window [a, b] sees more than B + R·(b − a) go on, and keeps each process in order', async () => {
    const { replies } = await fleetRun('hold', 'held')
    const admitted = admittedOf(replies)
    const delayed = admitted.filter(({ waitMs }) => waitMs > 0)
    const rejected = WORKERS * PER_WORKER - admitted.length
    console.log(
      `maxWait fleet: ${admitted.length} admitted (${delayed.length} held, longest ${Math.max(...admitted.map((a) => a.waitMs))} ms), ` +
        `${rejected} rejected; worst window excess ${worstExcess(admitted.map((a) => a.doneAtMs)).toFixed(2)} tokens`,
    )
    expect(delayed.length).toBeGreaterThan(WORKERS)
    expect(rejected).toBeGreaterThan(0)
    expect(admitted.every(({ waitMs }) => waitMs <= MAX_WAIT_MS)).toBe(true)
    // One token of slack: the admission times are read on three processes' clocks, to the microsecond.
    expect(worstExcess(admitted.map(({ doneAtMs }) => doneAtMs))).toBeLessThanOrEqual(1)
    for (const { order } of replies) {
      expect(order).toEqual([...(order ?? [])].sort((a, b) => a - b))
    }
  })

  it('control: going on as soon as Redis answers (ignoring waitMs) breaks the bound the test checks', async () => {
    const { replies } = await fleetRun('ignore-wait', 'ignored')
    const excess = worstExcess(admittedOf(replies).map(({ doneAtMs }) => doneAtMs))
    console.log(`maxWait fleet control (no hold): worst window excess ${excess.toFixed(2)} tokens`)
    expect(excess).toBeGreaterThan(5)
  })
})
