// Shared pieces of the failover fault tests: apps on every adapter over one resilient store, a bounded load, a timeline.
import type { Policy, StepResult, Store } from '@spillway/core'
import type { Redis, RedisOptions } from 'ioredis'
import type { CircuitTransition } from '../../packages/core/src/circuit-breaker.js'
import { type ResilientStore, resilient } from '../../packages/core/src/resilient-store.js'
import { type AppFactory, hit, type RunningApp, sleep } from '../conformance/app-factory.js'
import { expressApp } from '../conformance/apps/express.js'
import { fastifyApp } from '../conformance/apps/fastify.js'
import { koaApp } from '../conformance/apps/koa.js'
import { LIMITER_CLIENT_OPTIONS } from '../harness/redis-client.js'

export const ADAPTERS: readonly AppFactory[] = [expressApp, fastifyApp, koaApp]

/** The client settings docs/failure-handling.md recommends: no replay, a quick reconnect, a stall ends the socket. */
export const RECOMMENDED_CLIENT_OPTIONS = {
  ...LIMITER_CLIENT_OPTIONS,
  connectTimeout: 1000,
  socketTimeout: 1000,
  retryStrategy: (times: number) => Math.min(times * 100, 1000),
} satisfies RedisOptions

export const TIMEOUT_MS = 50
/**
 * What a request may take beyond the budget on a busy 2-core machine (HTTP, framework, event loop; 356 ms
 * was seen with two copies of the suite and four other test runs at once). A request waiting for Redis
 * instead would take seconds.
 */
export const MARGIN_MS = 600

/** The hot route: B = 10, R = 2/s. The counted route: B = 100 000, about no refill (exact counting). */
export const HOT = { capacity: 10, refillRate: 2 } as const
export const COUNTED = { name: 'counted', capacity: 100_000, refillRate: { tokens: 1, per: '1h' } } as const

/** What reached the Redis store, per store key: calls sent, answers received. */
export class RedisCalls {
  readonly sent = new Map<string, number>()
  readonly answered = new Map<string, number>()
  wrap(store: Store): Store {
    return {
      name: store.name,
      keySpace: store.keySpace ?? store,
      consume: (key: string, policy: Policy, cost: number): Promise<StepResult> => {
        this.sent.set(key, (this.sent.get(key) ?? 0) + 1)
        return store.consume(key, policy, cost).then((step) => {
          this.answered.set(key, (this.answered.get(key) ?? 0) + 1)
          return step
        })
      },
    }
  }
}

/** One resilient store over `inner` (counted), its transitions and fallback times. */
export function resilientOver(inner: Store, extra: Parameters<typeof resilient>[1] = {}) {
  const calls = new RedisCalls()
  const transitions: Array<CircuitTransition & { at: number }> = []
  const fallbackAt: number[] = []
  const fallbackErrors: unknown[] = []
  const store: ResilientStore = resilient(calls.wrap(inner), {
    timeoutMs: TIMEOUT_MS,
    onStateChange: (t) => transitions.push({ ...t, at: performance.now() }),
    onFallback: (error) => {
      fallbackAt.push(performance.now())
      fallbackErrors.push(error)
    },
    ...extra,
  })
  return { store, calls, transitions, fallbackAt, fallbackErrors }
}

/** The same app on every adapter: `/hot` and `/counted`, keyed by the `x-client` header, store errors as 500s. */
export async function buildApps(store: Store): Promise<Array<{ adapter: string; app: RunningApp }>> {
  const built = []
  for (const factory of ADAPTERS) {
    const key = (request: unknown) => `${factory.name}:${factory.headerOf(request, 'x-client') ?? 'anon'}`
    const common = { store, key, onStoreError: 'error' as const, onError: () => {} }
    const app = await factory.build({
      routes: { '/hot': { ...HOT, ...common }, '/counted': { ...COUNTED, ...common } },
    })
    built.push({ adapter: factory.name, app })
  }
  return built
}

export interface Sample {
  readonly adapter: string
  readonly path: string
  readonly client: string
  readonly status: number
  readonly ms: number
  /** performance.now() when the request was sent. */
  readonly at: number
}

/**
 * Bounded load until `stop()` resolves: one loop per adapter, each sending one request every ~`pauseMs`:
 * `/hot` as client `hot` (over its limit), and every 5th request `/counted` as client `counted`.
 */
export function startLoad(apps: Array<{ adapter: string; app: RunningApp }>, pauseMs = 20) {
  const samples: Sample[] = []
  let running = true
  const loops = apps.map(async ({ adapter, app }) => {
    for (let i = 0; running; i++) {
      const path = i % 5 === 4 ? '/counted' : '/hot'
      const client = path === '/hot' ? 'hot' : 'counted'
      const at = performance.now()
      const reply = await hit(app, path, { 'x-client': client }).catch(() => ({ status: 0 }))
      samples.push({ adapter, path, client, status: reply.status, ms: performance.now() - at, at })
      await sleep(pauseMs)
    }
  })
  return {
    samples,
    async stop() {
      running = false
      await Promise.all(loops)
      return samples
    },
  }
}

/** Samples sent in `[from, to)`. */
export const between = (samples: readonly Sample[], from: number, to: number) =>
  samples.filter((s) => s.at >= from && s.at < to)

/** Statuses other than 200 and 429 (a 0 is a request that failed or hung past 5 s). */
export const unexpected = (samples: readonly Sample[]) => samples.filter((s) => s.status !== 200 && s.status !== 429)

export const slowest = (samples: readonly Sample[]) => Math.max(0, ...samples.map((s) => s.ms))

export async function closeAll(apps: Array<{ app: RunningApp }>): Promise<void> {
  await Promise.all(apps.map(({ app }) => app.close()))
}

/** ioredis' queue of commands sent and not answered yet (internal, read for the measurement only). */
export function commandQueueLength(client: Redis): number {
  return (client as unknown as { commandQueue: { length: number } }).commandQueue.length
}
