// Settings shared by the example servers, read from the environment with clear errors.

import { MemoryStore, resilient, type Store } from '@spillway/core'
import { HybridStore, RedisStore } from '@spillway/redis'
import { Redis } from 'ioredis'

export interface ExampleConfig {
  readonly port: number
  readonly store: Store
  /** Where the buckets live, for the startup log line. */
  readonly storeLabel: string
  /** The app-wide policy: `GET /`. */
  readonly global: { readonly name: string; readonly capacity: number; readonly refillRate: number }
  /** The stricter route policy: `POST /login`, 5 attempts, one more every 12 s. */
  readonly login: { readonly name: string; readonly capacity: number; readonly refillRate: number }
  close(): Promise<void>
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`)
  return value
}

/** RATE_LIMIT_STORE: `redis` (default when REDIS_URL is set) or `hybrid` (leases, see docs/hybrid.md). */
function storeKindFromEnv(): 'redis' | 'hybrid' {
  const kind = process.env.RATE_LIMIT_STORE ?? 'redis'
  if (kind !== 'redis' && kind !== 'hybrid') throw new Error(`RATE_LIMIT_STORE must be redis or hybrid, got "${kind}"`)
  return kind
}

/**
 * Reads PORT (default 3000), REDIS_URL (Redis store when set, in-memory otherwise), RATE_LIMIT_STORE,
 * RATE_LIMIT_STORE_TIMEOUT_MS (the store's time budget; default the library's 50 ms),
 * RATE_LIMIT_CAPACITY (default 10) and RATE_LIMIT_REFILL_PER_SEC (default 2).
 */
export async function readConfig(): Promise<ExampleConfig> {
  const port = numberFromEnv('PORT', 3000)
  const global = {
    name: 'global',
    capacity: numberFromEnv('RATE_LIMIT_CAPACITY', 10),
    refillRate: numberFromEnv('RATE_LIMIT_REFILL_PER_SEC', 2),
  }
  const login = { name: 'login', capacity: 5, refillRate: 5 / 60 }
  const redisUrl = process.env.REDIS_URL
  if (!redisUrl) {
    return { port, store: new MemoryStore(), storeLabel: 'in-memory store', global, login, close: async () => {} }
  }
  // The recommended client: no offline queue and no resends (a decision answered while Redis is away is
  // never applied later), a quick reconnect, and a stall that ends the socket instead of queueing forever.
  // The app does not wait for Redis: until it answers (down at boot, killed, stalled) each decision is
  // made in-process on this process's share of the limit (onStoreError 'local', the default).
  const client = new Redis(redisUrl, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    socketTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  })
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`))
  client.on('ready', () => console.log(`redis: ready at ${redisUrl}`))
  const hybrid = storeKindFromEnv() === 'hybrid'
  // Hybrid: local decisions on leases taken from the same Redis buckets, synced once a second.
  const store = hybrid
    ? new HybridStore({ client, prefix: 'spillway-example:' })
    : new RedisStore({ client, prefix: 'spillway-example:' })
  const budgetMs = numberFromEnv('RATE_LIMIT_STORE_TIMEOUT_MS', 0)
  const close = async () => {
    await store.close()
    client.disconnect()
  }
  const storeLabel = `${hybrid ? 'hybrid store (leases) on ' : ''}Redis at ${redisUrl}`
  // Left unset, the adapters apply their default to a RedisStore: resilient() with a 50 ms budget. A
  // budget of your own means composing it yourself (what the default does, with another timeoutMs).
  const limited = budgetMs > 0 && store instanceof RedisStore ? withBudget(store, budgetMs) : store
  return { port, store: limited, storeLabel, global, login, close }
}

/** The line every example prints once it listens; tests and the demo read the URL from it. */
export function logListening(framework: string, url: string, config: ExampleConfig): void {
  const { capacity, refillRate } = config.global
  console.log(
    `${framework} example listening on ${url} (${config.storeLabel}; GET / ${capacity} burst, ${refillRate}/s)`,
  )
}

function withBudget(store: RedisStore, timeoutMs: number): Store {
  return resilient(store, {
    timeoutMs,
    fleetSize: () => store.fleetSize(),
    partitionOf: (key) => store.partitionOf(key),
  })
}
