// Each framework's usual rate limiter on Redis, configured to admit everything or to reject after one request.
import rateLimitFastify from '@fastify/rate-limit'
import { rateLimit as rateLimitExpress } from 'express-rate-limit'
import type { Redis } from 'ioredis'
import ratelimitKoa from 'koa-ratelimit'
import { RedisStore as ExpressRedisStore, type RedisReply } from 'rate-limit-redis'
import type { Verdict } from '../spillway.js'

const WINDOW_MS = 3_600_000
const limitOf = (verdict: Verdict) => (verdict === 'admit' ? 1_000_000_000 : 1)

/** express-rate-limit with rate-limit-redis (fixed window, one counter key per client). */
export function expressPeer(verdict: Verdict, client: Redis) {
  const store = new ExpressRedisStore({
    sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as Promise<RedisReply>,
  })
  return rateLimitExpress({ windowMs: WINDOW_MS, limit: limitOf(verdict), standardHeaders: 'draft-8', store })
}

/** @fastify/rate-limit with its Redis store: a plugin to register. */
export function fastifyPeer(verdict: Verdict, client: Redis) {
  return { plugin: rateLimitFastify, options: { max: limitOf(verdict), timeWindow: WINDOW_MS, redis: client } }
}

/** koa-ratelimit with its Redis driver (async-ratelimiter: a sorted set of request times per client). */
export function koaPeer(verdict: Verdict, client: Redis) {
  return ratelimitKoa({ driver: 'redis', db: client, duration: WINDOW_MS, max: limitOf(verdict) })
}
