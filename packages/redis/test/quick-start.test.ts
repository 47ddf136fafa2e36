// The README's quick start, run against a private redis-server through createLimiter.
import { once } from 'node:events'
import { createLimiter } from '@spillway/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../../../test/harness/redis-server.js'
import { RedisStore } from '../src/index.js'

let server: RedisServer
let client: Redis

beforeAll(async () => {
  server = await startRedisServer()
  client = new Redis(server.url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
  })
  await once(client, 'ready')
})

afterAll(async () => {
  await client?.quit()
  await server?.stop()
})

it('limits through createLimiter as the README shows', async () => {
  const limiter = createLimiter({
    name: 'api',
    capacity: 3,
    refillRate: { tokens: 3, per: '1m' },
    store: new RedisStore({ client, prefix: randomKeyPrefix('readme') }),
  })
  const decisions = await Promise.all(Array.from({ length: 4 }, () => limiter.consume('203.0.113.7')))
  expect(decisions.filter((d) => d.allowed)).toHaveLength(3)
  const rejected = decisions.find((d) => !d.allowed)
  expect(rejected?.retryAfterMs).toBeGreaterThan(19_000)
  expect(rejected?.retryAfterMs).toBeLessThanOrEqual(20_000)
})
