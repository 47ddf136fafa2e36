// The all-or-nothing race: several processes decide stacked policies of one identity at once; the multi-key
// script never over-admits any bucket, and a rejected request takes no token from any of them.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createLimiter } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { askWorker, startWorker, stopWorker, type WorkerReply } from '../harness/worker-process.js'
import {
  type AllOrNothingReply,
  type AllOrNothingRequest,
  RACE_POLICIES,
  type RequestKind,
} from './all-or-nothing-race-kit.js'

const WORKERS = 3
const PER_KIND = 30
// Waves of 3 (one request of each kind), 1 ms apart: each wave is one batched call, and a worker's waves
// span ~30 ms, so the workers race even when one starts a few ms late (with waves of 9 back to back, one
// worker's first batched calls could empty the route buckets before another's first call arrived).
const WAVE = 3
const GAP_MS = 1
const REPETITIONS = 5
const START_DELAY_MS = 100
const WORKER_PATH = fileURLToPath(new URL('./all-or-nothing-worker.ts', import.meta.url))

let server: RedisServer
let client: Redis
let prefix: string
let workers: ChildProcess[] = []

function ask(worker: ChildProcess, request: Omit<AllOrNothingRequest, 'id'>): Promise<Record<RequestKind, number>> {
  return askWorker<Omit<AllOrNothingRequest, 'id'>, AllOrNothingReply & WorkerReply>(worker, request).then(
    (reply) => reply.admitted as Record<RequestKind, number>,
  )
}

/** Tokens left in each policy's bucket of `identity`, read by a limiter in this process. */
async function remaining(identity: string): Promise<Record<keyof typeof RACE_POLICIES, number>> {
  const store = new RedisStore({ client, prefix, heartbeat: false })
  const left = async (id: keyof typeof RACE_POLICIES) => {
    const limiter = createLimiter({ ...RACE_POLICIES[id], refillRate: { tokens: 1, per: '1h' }, store })
    return (await limiter.peek(identity)).remaining
  }
  return { global: await left('global'), login: await left('login'), api: await left('api') }
}

/** One repetition: every worker fires its requests at one instant; the admissions per kind, summed and per worker. */
async function race(mode: AllOrNothingRequest['mode'], identity: string) {
  const startAtMs = performance.timeOrigin + performance.now() + START_DELAY_MS
  const perWorker = await Promise.all(
    workers.map((worker) => ask(worker, { mode, identity, perKind: PER_KIND, wave: WAVE, gapMs: GAP_MS, startAtMs })),
  )
  const total = (kind: RequestKind) => perWorker.reduce((sum, admitted) => sum + admitted[kind], 0)
  const admitted = { login: total('login'), api: total('api'), both: total('both') }
  return { admitted, perWorker, left: await remaining(identity) }
}

describe(`all-or-nothing race: ${WORKERS} processes × ${3 * PER_KIND} stacked decisions of one identity`, () => {
  beforeAll(async () => {
    server = await startRedisServer()
    client = await connectLimiterClient(server.port)
    prefix = randomKeyPrefix('all-or-nothing')
    workers = await Promise.all(
      Array.from({ length: WORKERS }, () => startWorker(WORKER_PATH, [String(server.port), prefix])),
    )
  })

  afterAll(async () => {
    await Promise.all(workers.map(stopWorker))
    client?.disconnect()
    await server?.stop()
  })

  it(`never over-admits a bucket and takes nothing for a rejected request, in ${REPETITIONS} repetitions`, async () => {
    let interleaved = 0
    // At least REPETITIONS, and more (up to 3×) until the workers are seen racing: on a loaded machine one
    // process can finish its waves before the others start, which proves nothing about the race.
    for (
      let repetition = 0;
      repetition < REPETITIONS || (interleaved === 0 && repetition < 3 * REPETITIONS);
      repetition++
    ) {
      const { admitted, perWorker, left } = await race('atomic', `client-${repetition}`)
      const { login, api, both } = admitted
      // Demand (90 of each kind) far exceeds the route policies (10 each): each admits exactly its capacity.
      expect(login + both).toBe(RACE_POLICIES.login.capacity)
      expect(api + both).toBe(RACE_POLICIES.api.capacity)
      // Each bucket holds exactly what the admitted requests took: the 250 rejected ones took nothing.
      expect(left).toEqual({
        global: RACE_POLICIES.global.capacity - (login + api + both),
        login: 0,
        api: 0,
      })
      if (perWorker.filter((w) => w.login + w.api + w.both > 0).length >= 2) interleaved++
    }
    expect(interleaved).toBeGreaterThan(0)
  })

  it('one consume per policy in turn drains the app-wide bucket (negative control: the test can fail)', async () => {
    const { admitted, left } = await race('sequential', 'client-sequential')
    const taken = admitted.login + admitted.api + admitted.both
    console.info(
      `sequential: ${taken} requests admitted, app-wide bucket left with ${left.global} (all-or-nothing: ${50 - taken})`,
    )
    expect(left.global).toBeLessThan(RACE_POLICIES.global.capacity - taken)
  })
})
