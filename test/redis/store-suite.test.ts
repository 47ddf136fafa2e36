// Runs the shared store suite against core's MemoryStore and against RedisStore on a private redis-server.
import { MemoryStore } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { testStore } from '../harness/store-suite.js'

let server: RedisServer
let client: Redis

beforeAll(async () => {
  server = await startRedisServer()
  client = new Redis(server.port, '127.0.0.1', {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  })
  await client.connect()
})

afterAll(async () => {
  client?.disconnect()
  await server?.stop()
})

testStore('MemoryStore', () => new MemoryStore())
testStore('RedisStore', () => new RedisStore({ client, prefix: randomKeyPrefix('suite') }))
