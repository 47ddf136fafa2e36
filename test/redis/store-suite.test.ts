// Runs the shared store suite against core's MemoryStore and against RedisStore on a private redis-server.
import { MemoryStore, resilient } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { testConsumeAll } from '../harness/consume-all-suite.js'
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

testStore('MemoryStore', () => new MemoryStore())
testStore('RedisStore', () => new RedisStore({ client, prefix: randomKeyPrefix('suite') }))

testConsumeAll('MemoryStore', () => new MemoryStore())
testConsumeAll('RedisStore', () => new RedisStore({ client, prefix: randomKeyPrefix('all') }))
testConsumeAll('resilient(RedisStore)', () => resilient(new RedisStore({ client, prefix: randomKeyPrefix('all') })))
