// A worker process of the all-or-nothing race: fires stacked-policy decisions (two or three keys of one identity).
import type { ConsumeStep, Policy } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { RedisStore } from '@spillway/redis'
import { connectLimiterClient } from '../harness/redis-client.js'
import {
  type AllOrNothingReply,
  type AllOrNothingRequest,
  RACE_POLICIES,
  REQUEST_KINDS,
  type RequestKind,
} from './all-or-nothing-race-kit.js'

const [port, prefix] = process.argv.slice(2)
const client = await connectLimiterClient(Number(port))
const store = new RedisStore({ client, prefix: prefix as string, heartbeat: false })
const policies = Object.fromEntries(
  Object.entries(RACE_POLICIES).map(([id, shape]) => [
    id,
    createPolicy({ ...shape, refillRate: { tokens: 1, per: '1h' } }),
  ]),
) as Record<keyof typeof RACE_POLICIES, Policy>

const nowMs = () => performance.timeOrigin + performance.now()

async function decideOne(request: AllOrNothingRequest, kind: RequestKind): Promise<boolean> {
  const steps: ConsumeStep[] = REQUEST_KINDS[kind].map((id) => ({
    key: storeKey(policies[id].name, request.identity),
    policy: policies[id],
    cost: 1,
  }))
  if (request.mode === 'atomic') return (await store.consumeAll(steps)).every((step) => step.allowed)
  for (const step of steps) if (!(await store.consume(step.key, step.policy, step.cost)).allowed) return false
  return true
}

async function run(request: AllOrNothingRequest): Promise<Record<RequestKind, number>> {
  const kinds = Object.keys(REQUEST_KINDS) as RequestKind[]
  const queue = Array.from({ length: request.perKind }, () => kinds).flat()
  const waitMs = request.startAtMs - nowMs()
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
  const pending: Promise<[RequestKind, boolean]>[] = []
  for (let at = 0; at < queue.length; at += request.wave) {
    if (at > 0) await new Promise((resolve) => setTimeout(resolve, request.gapMs))
    for (const kind of queue.slice(at, at + request.wave)) {
      pending.push(decideOne(request, kind).then((allowed) => [kind, allowed]))
    }
  }
  const admitted = { login: 0, api: 0, both: 0 }
  for (const [kind, allowed] of await Promise.all(pending)) if (allowed) admitted[kind]++
  return admitted
}

process.on('message', (request: AllOrNothingRequest) => {
  run(request).then(
    (admitted) => process.send?.({ id: request.id, admitted } satisfies AllOrNothingReply),
    (error: unknown) => process.send?.({ id: request.id, error: String(error) } satisfies AllOrNothingReply),
  )
})
process.on('disconnect', () => {
  client.disconnect()
  process.exit(0)
})
process.send?.('ready')
