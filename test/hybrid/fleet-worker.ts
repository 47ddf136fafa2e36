// A worker process of the hybrid fleet tests: on each IPC request, hammers one key for a while and reports when it admitted.
import type { Store } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { HybridStore } from '@spillway/redis'
import { connectLimiterClient } from '../harness/redis-client.js'
import { NaiveOptimisticSyncStore } from './naive-optimistic-sync-store.js'

/** `hybrid`: the store under test; `naive`: the optimistic-sync negative control. */
export type FleetStoreKind = 'hybrid' | 'naive'

/** A request from the test process: one run of one worker. */
export interface FleetRequest {
  readonly id: number
  readonly kind: FleetStoreKind
  readonly key: string
  readonly capacity: number
  readonly refillPerSecond: number
  readonly syncIntervalMs: number
  /** Epoch ms (fractional) at which every worker starts, and how long it hammers. */
  readonly startAtMs: number
  readonly durationMs: number
  /** Decisions fired together on each timer turn (about one per ms): the demand. */
  readonly perTick: number
}

/** The worker's answer: epoch ms of every admission, how many decisions it made and how many fell back. */
export interface FleetReply {
  readonly id: number
  readonly admittedAtMs?: number[]
  readonly decisions?: number
  readonly fallbacks?: number
  readonly error?: string
}

const [port, prefix] = process.argv.slice(2)
const client = await connectLimiterClient(Number(port), { commandTimeout: 2000 })
const nowMs = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

function openStore(request: FleetRequest): Store {
  if (request.kind === 'naive') return new NaiveOptimisticSyncStore(client, `${prefix}naive:`, request.syncIntervalMs)
  // A generous time budget: on a loaded 2-core machine a slow reply must not look like an outage here.
  return new HybridStore({ client, prefix, syncIntervalMs: request.syncIntervalMs, timeoutMs: request.syncIntervalMs })
}

async function run(request: FleetRequest): Promise<Omit<FleetReply, 'id'>> {
  const policy = createPolicy({ name: 'fleet', capacity: request.capacity, refillRate: request.refillPerSecond })
  const key = storeKey(policy.name, request.key)
  const store = openStore(request)
  const admittedAtMs: number[] = []
  let decisions = 0
  let fallbacks = 0
  const pending: Promise<void>[] = []
  await sleep(request.startAtMs - nowMs())
  const endAtMs = request.startAtMs + request.durationMs
  while (nowMs() < endAtMs) {
    for (let i = 0; i < request.perTick; i++) {
      decisions++
      const decision = store.consume(key, policy, 1).then((step) => {
        if (step.fallbackPolicy !== undefined) fallbacks++
        if (step.allowed) admittedAtMs.push(nowMs())
      })
      pending.push(decision)
    }
    await sleep(1)
    if (pending.length > 10_000) await Promise.all(pending.splice(0))
  }
  await Promise.all(pending)
  await store.close?.()
  return { admittedAtMs, decisions, fallbacks }
}

process.on('message', (request: FleetRequest) => {
  run(request).then(
    (result) => process.send?.({ id: request.id, ...result } satisfies FleetReply),
    (error: unknown) => process.send?.({ id: request.id, error: String(error) } satisfies FleetReply),
  )
})
process.on('disconnect', () => client.disconnect())

process.send?.({ id: 0 } satisfies FleetReply) // ready
