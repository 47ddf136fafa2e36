// Runs the shared store suite against HybridStore on a private redis-server: a cold key behaves like RedisStore.
import { HybridStore } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { testStore } from '../harness/store-suite.js'

let server: RedisServer
let client: Redis

beforeAll(async () => {
  server = await startRedisServer()
  client = await connectLimiterClient(server.port)
})

afterAll(async () => {
  client?.disconnect()
  await server?.stop()
})

// A 1 s budget: a reply a loaded machine delays past the default 250 ms would be decided on the local share.
testStore('HybridStore', () => new HybridStore({ client, prefix: randomKeyPrefix('hybrid-suite'), timeoutMs: 1000 }))
