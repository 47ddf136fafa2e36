// One policy on one Redis prefix, served by an Express, a Fastify and a Koa app at once: one shared bucket.
import { RedisStore } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { patientStore } from '../harness/patient-store.js'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { type EchoBody, hit, type RunningApp } from './app-factory.js'
import { expressApp } from './apps/express.js'
import { fastifyApp } from './apps/fastify.js'
import { koaApp } from './apps/koa.js'

let server: RedisServer
const clients: Redis[] = []
const apps: RunningApp[] = []

beforeAll(async () => {
  server = await startRedisServer()
})

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  for (const client of clients) client.disconnect()
  await server?.stop()
})

test('mixed-fleet: MUST share one bucket between Express, Fastify and Koa apps on one Redis prefix', async () => {
  const prefix = randomKeyPrefix('fleet')
  for (const factory of [expressApp, fastifyApp, koaApp]) {
    const client = await connectLimiterClient(server.port) // one client each, as separate processes would have
    clients.push(client)
    // Not the default 50 ms budget: a slow answer on a loaded machine would be decided by a local bucket.
    const store = patientStore(new RedisStore({ client, prefix }))
    apps.push(await factory.build({ global: { capacity: 6, refillRate: 1 / 60, name: 'shared', store } }))
  }
  const remaining: unknown[] = []
  for (const app of [...apps, ...apps]) remaining.push((await hit(app)).json<EchoBody>().remaining)
  expect(remaining).toEqual([5, 4, 3, 2, 1, 0])
  const rejected = await Promise.all(apps.map((app) => hit(app)))
  expect(rejected.map((reply) => reply.status)).toEqual([429, 429, 429])
  expect(rejected.map((reply) => reply.headers.get('retry-after'))).toEqual(['60', '60', '60'])
})
