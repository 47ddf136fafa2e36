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

testStore('HybridStore', () => new HybridStore({ client, prefix: randomKeyPrefix('hybrid-suite') }))
