// A stalled but connected Redis (SIGSTOP 4 s at ~300 decisions/s): what each setup lets pile up in the ioredis queue.
import { createLimiter, type Store } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import type { Redis, RedisOptions } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resilient } from '../../packages/core/src/resilient-store.js'
import { withTimeout } from '../../packages/core/src/store-timeout.js'
import { sleep } from '../conformance/app-factory.js'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { commandQueueLength, RECOMMENDED_CLIENT_OPTIONS } from './failover-kit.js'

let redis: RedisServer
const clients: Redis[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})

afterAll(async () => {
  redis?.resume()
  for (const client of clients) client.disconnect()
  await redis?.stop()
})

async function setup(options: RedisOptions, wrap: (store: Store) => Store) {
  const client = await connectLimiterClient(redis.port, options)
  client.on('error', () => {})
  clients.push(client)
  const store = wrap(new RedisStore({ client, prefix: randomKeyPrefix('queue') }))
  const limiter = createLimiter({ capacity: 1000, refillRate: 1000, store })
  return { client, limiter, maxQueue: 0, decisions: 0, failures: 0 }
}

describe('a stalled but connected Redis', () => {
  it('queues without bound behind a time budget alone; the breaker or socketTimeout bound it', async () => {
    const setups = {
      budgetOnly: await setup({}, (s) => withTimeout(s, { timeoutMs: 50 })),
      budgetAndSocketTimeout: await setup({ socketTimeout: 1000 }, (s) => withTimeout(s, { timeoutMs: 50 })),
      resilient: await setup({}, (s) => resilient(s)),
      resilientRecommended: await setup(RECOMMENDED_CLIENT_OPTIONS, (s) => resilient(s)),
    }
    let running = true
    const drive = Object.values(setups).map(async (setup) => {
      const pending: Array<Promise<unknown>> = []
      for (let i = 0; running; i++) {
        // ~300 decisions/s per setup, arriving whatever the earlier ones do (as requests do): 3 every 10 ms
        for (let j = 0; j < 3; j++) {
          const decision = setup.limiter.consume(`k${i % 50}`).then(
            () => setup.decisions++,
            () => setup.failures++,
          )
          pending.push(decision)
        }
        setup.maxQueue = Math.max(setup.maxQueue, commandQueueLength(setup.client))
        await sleep(10)
      }
      await Promise.all(pending)
    })
    await sleep(800)
    redis.pause()
    await sleep(4000)
    redis.resume()
    await sleep(800)
    running = false
    await Promise.all(drive)
    const figures = Object.fromEntries(
      Object.entries(setups).map(([name, s]) => [
        name,
        { maxQueue: s.maxQueue, decisions: s.decisions, failures: s.failures },
      ]),
    )
    console.log('[stall-queue] SIGSTOP 4 s', figures)
    // A budget alone frees the caller, not the client: every timed-out command stays queued until Redis answers.
    // (A ratio, not a count: how many pile up depends on how fast a loaded machine sends them.)
    expect(setups.budgetOnly.maxQueue).toBeGreaterThan(5 * Math.max(setups.resilient.maxQueue, 20))
    // The breaker stops sending: what was in flight when it opened (rate × budget ≈ 15) + one probe per cool-down.
    expect(setups.resilient.maxQueue).toBeLessThanOrEqual(40)
    expect(setups.resilientRecommended.maxQueue).toBeLessThanOrEqual(40)
    // socketTimeout ends the stalled connection: at most ~rate × socketTimeout queued.
    expect(setups.budgetAndSocketTimeout.maxQueue).toBeLessThan(setups.budgetOnly.maxQueue / 2)
  }, 20_000)
})
