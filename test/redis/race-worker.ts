// A worker process of the race test: on each IPC request, fires N concurrent decisions on one key.
import type { Store } from '@spillway/core'
import { createPolicy } from '@spillway/core/store'
import { RedisStore } from '@spillway/redis'
import { Redis } from 'ioredis'
import { decide } from '../harness/decide.js'
import { LIMITER_CLIENT_OPTIONS } from '../harness/redis-client.js'
import { NaiveCheckThenActStore } from './naive-check-then-act-store.js'

/** A request from the test process. */
export interface RaceRequest {
  readonly id: number
  readonly store: 'lua' | 'naive'
  readonly key: string
  readonly inFlight: number
  readonly capacity: number
  /** Epoch ms (fractional) at which every worker fires, so the processes really overlap. */
  readonly startAtMs: number
}

/** The worker's answer: how many of its decisions were admitted. */
export interface RaceReply {
  readonly id: number
  readonly admitted?: number
  readonly error?: string
}

const [port, prefix] = process.argv.slice(2)
const client = new Redis(Number(port), '127.0.0.1', { ...LIMITER_CLIENT_OPTIONS, lazyConnect: true })
const stores: Record<RaceRequest['store'], Store> = {
  lua: new RedisStore({ client, prefix: `${prefix}lua:` }),
  naive: new NaiveCheckThenActStore(client, `${prefix}naive:`),
}

const nowMs = () => performance.timeOrigin + performance.now()

/** Sleeps until just before `startAtMs`, then spins to it: a start barrier shared by all workers. */
async function waitUntil(startAtMs: number): Promise<void> {
  const sleepMs = startAtMs - nowMs() - 2
  if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs))
  while (nowMs() < startAtMs) {
    // spin for the last ~2 ms
  }
}

async function run(request: RaceRequest): Promise<number> {
  const policy = createPolicy({ name: 'race', capacity: request.capacity, refillRate: { tokens: 1, per: '1h' } })
  const store = stores[request.store]
  await waitUntil(request.startAtMs)
  const decisions = await Promise.all(
    Array.from({ length: request.inFlight }, () => decide(store, request.key, policy, 1)),
  )
  return decisions.filter((decision) => decision.allowed).length
}

process.on('message', (request: RaceRequest) => {
  run(request).then(
    (admitted) => process.send?.({ id: request.id, admitted } satisfies RaceReply),
    (error: unknown) => process.send?.({ id: request.id, error: String(error) } satisfies RaceReply),
  )
})
process.on('disconnect', () => {
  client.disconnect()
})

await client.connect()
process.send?.({ id: 0, admitted: 0 } satisfies RaceReply) // ready
