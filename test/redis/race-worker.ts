// A worker process of the race test: on each IPC request, fires N concurrent decisions on one key.
import type { Decision, Store } from '@spillway/core'
import { createPolicy } from '@spillway/core/store'
import { RedisStore, type RedisStoreOptions } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { decide } from '../harness/decide.js'
import { CLIENT_KINDS, type ClientKind, type ConnectedClient, connectClient } from './client-kinds.js'
import { NaiveCheckThenActStore } from './naive-check-then-act-store.js'

/** The store under test: the naive control, or RedisStore through a client kind, batched or not. */
export type RaceStore = 'naive' | ClientKind | `${ClientKind}, batch: false`

/** A request from the test process. */
export interface RaceRequest {
  readonly id: number
  readonly store: RaceStore
  readonly key: string
  readonly inFlight: number
  /**
   * Fired in waves of this many, one wave per event-loop turn: a client that writes a tick's commands in
   * one go (node-redis) or a batching store sends one block per wave, so the processes' blocks interleave.
   */
  readonly wave: number
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
const connected: ConnectedClient[] = []
for (const kind of CLIENT_KINDS) connected.push(await connectClient(kind, Number(port)))
const stores = new Map<RaceStore, Store>()
for (const { kind, client } of connected) {
  const storeOf = (batch: boolean) =>
    new RedisStore({ client: client as RedisStoreOptions['client'], prefix: `${prefix}${kind}:${batch}:`, batch })
  stores.set(kind, storeOf(true))
  stores.set(`${kind}, batch: false`, storeOf(false))
}
stores.set('naive', new NaiveCheckThenActStore(connected[0]?.client as Redis, `${prefix}naive:`))

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
  const store = stores.get(request.store)
  if (store === undefined) throw new Error(`no store ${request.store}`)
  await waitUntil(request.startAtMs)
  const pending: Promise<Decision>[] = []
  while (pending.length < request.inFlight) {
    if (pending.length > 0) await new Promise((resolve) => setImmediate(resolve))
    const size = Math.min(request.wave, request.inFlight - pending.length)
    for (let i = 0; i < size; i++) pending.push(decide(store, request.key, policy, 1))
  }
  const decisions = await Promise.all(pending)
  return decisions.filter((decision) => decision.allowed).length
}

process.on('message', (request: RaceRequest) => {
  run(request).then(
    (admitted) => process.send?.({ id: request.id, admitted } satisfies RaceReply),
    (error: unknown) => process.send?.({ id: request.id, error: String(error) } satisfies RaceReply),
  )
})
process.on('disconnect', () => {
  for (const client of connected) void client.close()
})

process.send?.({ id: 0, admitted: 0 } satisfies RaceReply) // ready
