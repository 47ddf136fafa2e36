// A worker process of the multi-process maxWait test: fires requests on one key through RedisStore, reports when each went on.
import { createLimiter } from '@spillway/core'
import { createRequestLimiter, type LimitOutcome } from '@spillway/core/adapter'
import { RedisStore } from '@spillway/redis'
import { Redis } from 'ioredis'
import { WAIT_POLICY, type WaitMode, type WaitReply, type WaitRequest, type WaitResult } from './wait-protocol.js'

const [port, prefix] = process.argv.slice(2)
const client = new Redis(Number(port), '127.0.0.1', {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  lazyConnect: true,
})
await client.connect()
const store = new RedisStore({ client, prefix, heartbeat: false })
const pipeline = createRequestLimiter<object>({ ...WAIT_POLICY, store, key: () => currentKey, onStoreError: 'error' })
const limiter = createLimiter({ ...WAIT_POLICY, store })
let currentKey = ''

const nowMs = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function fireOne(mode: WaitMode, index: number, order: number[]): Promise<WaitResult> {
  if (mode === 'ignore-wait') {
    const decision = await limiter.consume(currentKey)
    if (decision.allowed) order.push(index)
    return { index, admitted: decision.allowed, waitMs: decision.waitMs ?? 0, doneAtMs: nowMs() }
  }
  const outcome: LimitOutcome = await pipeline.check({}, undefined)
  if (outcome.kind === 'failed') throw outcome.error.cause
  if (outcome.kind === 'allowed') order.push(index)
  const waitMs = outcome.kind === 'allowed' ? (outcome.decision.waitMs ?? 0) : 0
  return { index, admitted: outcome.kind === 'allowed', waitMs, doneAtMs: nowMs() }
}

async function run(request: WaitRequest): Promise<{ results: WaitResult[]; order: number[] }> {
  currentKey = request.key
  await sleep(Math.max(0, request.startAtMs - nowMs()))
  const order: number[] = []
  const pending: Promise<WaitResult>[] = []
  for (let index = 0; index < request.count; index++) {
    if (index > 0) await sleep(request.gapMs)
    pending.push(fireOne(request.mode, index, order))
  }
  return { results: await Promise.all(pending), order }
}

process.on('message', (request: WaitRequest) => {
  run(request).then(
    ({ results, order }) => process.send?.({ id: request.id, results, order } satisfies WaitReply),
    (error: unknown) => process.send?.({ id: request.id, error: String(error) } satisfies WaitReply),
  )
})
process.on('disconnect', () => client.disconnect())
process.send?.({ id: 0 } satisfies WaitReply) // ready
