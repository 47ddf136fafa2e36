// One writer per limiter that stores state in Redis: each call makes one decision for a new client key.
import rateLimitFastify from '@fastify/rate-limit'
import Fastify from 'fastify'
import type { Redis } from 'ioredis'
import { RedisStore as ExpressRedisStore, type RedisReply } from 'rate-limit-redis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { koaPeer } from '../http/peers.js'
import { longLivedLimiter, spillwayStore } from '../spillway.js'

/** Makes one admitted decision for `ip`; `close` releases what the writer holds. */
export interface RedisWriter {
  readonly label: string
  write(ip: string): Promise<void>
  close?(): Promise<void>
}

type WriterFactory = (client: Redis) => Promise<RedisWriter>

/** Spillway's RedisStore through the limiter (one string key per client: its `tat`). */
const spillway: WriterFactory = async (client) => {
  const limiter = longLivedLimiter(spillwayStore(client))
  return {
    label: 'Spillway RedisStore',
    write: async (ip) => {
      await limiter.consume(ip)
    },
  }
}

/** rate-limit-redis, the store express-rate-limit calls once per request with the client key (a counter per client). */
const express: WriterFactory = async (client) => {
  const store = new ExpressRedisStore({
    sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as Promise<RedisReply>,
  })
  store.init({ windowMs: 3_600_000 } as never)
  return {
    label: 'express-rate-limit + rate-limit-redis',
    write: async (ip) => {
      await store.increment(ip)
    },
  }
}

/** @fastify/rate-limit with its Redis store, hit through `inject` with one remote address per client. */
const fastify: WriterFactory = async (client) => {
  const app = Fastify()
  await app.register(rateLimitFastify, { max: 1_000_000_000, timeWindow: 3_600_000, redis: client })
  app.get('/', async () => 'ok')
  await app.ready()
  return {
    label: '@fastify/rate-limit (Redis)',
    write: async (ip) => {
      const response = await app.inject({ url: '/', remoteAddress: ip })
      if (response.statusCode !== 200) throw new Error(`@fastify/rate-limit answered ${response.statusCode}`)
    },
    close: () => app.close(),
  }
}

/** koa-ratelimit's middleware called with a minimal context (its driver keeps a sorted set per client). */
const koa: WriterFactory = async (client) => {
  const middleware = koaPeer('admit', client)
  return {
    label: 'koa-ratelimit (Redis)',
    write: async (ip) => {
      let passed = false
      await middleware({ ip, set() {}, state: {} } as never, async () => {
        passed = true
      })
      if (!passed) throw new Error('koa-ratelimit rejected in an all-admitted run')
    },
  }
}

/** rate-limiter-flexible's RateLimiterRedis (one counter key per client). */
const rlf: WriterFactory = async (client) => {
  const limiter = new RateLimiterRedis({ storeClient: client, points: 1_000_000_000, duration: 3600, keyPrefix: 'rlf' })
  return {
    label: 'rate-limiter-flexible RateLimiterRedis',
    write: async (ip) => {
      await limiter.consume(ip)
    },
  }
}

export const REDIS_WRITERS: readonly WriterFactory[] = [spillway, express, fastify, koa, rlf]
