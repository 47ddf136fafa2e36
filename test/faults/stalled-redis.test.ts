// A Redis that stops answering must not hang requests or turn into 5xx: the client's commandTimeout
// fails the decision and the middleware applies onStoreError. Real server, paused with SIGSTOP.
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FailureStage } from '@spillway/core'
import { rateLimit } from '@spillway/express'
import { RedisStore } from '@spillway/redis'
import express from 'express'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'

let redis: RedisServer
let client: Redis

beforeAll(async () => {
  redis = await startRedisServer()
  client = await connectLimiterClient(redis.port, { commandTimeout: 200 })
  client.on('error', () => {}) // the timeouts below are expected
})

afterAll(async () => {
  redis?.resume()
  client?.disconnect()
  await redis?.stop()
})

async function serve(onStoreError: 'allow' | 'deny', stages: FailureStage[]) {
  const app = express()
  const store = new RedisStore({ client, prefix: randomKeyPrefix('stall') })
  app.use(
    rateLimit({ capacity: 5, refillRate: 0.01, store, onStoreError, onError: (_e, { stage }) => stages.push(stage) }),
  )
  app.get('/', (_req, res) => void res.send('ok'))
  const server: Server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return { url, close: () => server.close() }
}

async function timedStatus(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
  await response.text()
  return { status: response.status, ms: performance.now() - started }
}

describe('a stalled Redis', () => {
  it('lets requests through within the time budget by default, and limits again once Redis answers', async () => {
    const stages: FailureStage[] = []
    const app = await serve('allow', stages)
    expect((await timedStatus(app.url)).status).toBe(200)
    redis.pause()
    try {
      const during = [await timedStatus(app.url), await timedStatus(app.url), await timedStatus(app.url)]
      expect(during.map((r) => r.status)).toEqual([200, 200, 200])
      for (const { ms } of during) expect(ms).toBeLessThan(2000)
      expect(stages).toEqual(['store', 'store', 'store'])
    } finally {
      redis.resume()
    }
    // The three decisions were already written to the socket, so Redis applies them when it wakes: each
    // request that passed is counted once — never twice (no resend), never lost. 5 − 1 − 3 = 1 token left.
    const after = [await timedStatus(app.url), await timedStatus(app.url)]
    expect(after.map((r) => r.status)).toEqual([200, 429])
    app.close()
  }, 20_000)

  it("answers 503 within the time budget with onStoreError: 'deny'", async () => {
    const stages: FailureStage[] = []
    const app = await serve('deny', stages)
    redis.pause()
    try {
      const { status, ms } = await timedStatus(app.url)
      expect(status).toBe(503)
      expect(ms).toBeLessThan(2000)
    } finally {
      redis.resume()
    }
    app.close()
  }, 20_000)
})
