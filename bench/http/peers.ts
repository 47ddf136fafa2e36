// Each framework's usual rate limiter, on Redis or on its default in-process store, admitting everything or rejecting after one request.
import rateLimitFastify from '@fastify/rate-limit'
import { rateLimit as rateLimitExpress } from 'express-rate-limit'
import type { Redis } from 'ioredis'
import ratelimitKoa from 'koa-ratelimit'
import { RedisStore as ExpressRedisStore, type RedisReply } from 'rate-limit-redis'
import type { Verdict } from '../spillway.js'

const WINDOW_MS = 3_600_000
const limitOf = (verdict: Verdict) => (verdict === 'admit' ? 1_000_000_000 : 1)

/**
 * express-rate-limit (fixed window, one counter per client): with rate-limit-redis on `client`, or its
 * default MemoryStore without one.
 */
export function expressPeer(verdict: Verdict, client?: Redis) {
  const store = client
    ? new ExpressRedisStore({
        sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as Promise<RedisReply>,
      })
    : undefined
  return rateLimitExpress({ windowMs: WINDOW_MS, limit: limitOf(verdict), standardHeaders: 'draft-8', store })
}

/** @fastify/rate-limit, a plugin to register: its Redis store on `client`, or its default local (LRU) store. */
export function fastifyPeer(verdict: Verdict, client?: Redis) {
  const options = { max: limitOf(verdict), timeWindow: WINDOW_MS }
  return { plugin: rateLimitFastify, options: client ? { ...options, redis: client } : options }
}

/**
 * koa-ratelimit: its Redis driver on `client` (async-ratelimiter, a sorted set of request times per
 * client), or its memory driver (a counter per client in a Map, which the caller must pass: without
 * `db` the driver makes a new Map per request and never limits).
 */
export function koaPeer(verdict: Verdict, client?: Redis) {
  const max = limitOf(verdict)
  return client
    ? ratelimitKoa({ driver: 'redis', db: client, duration: WINDOW_MS, max })
    : ratelimitKoa({ driver: 'memory', db: new Map(), duration: WINDOW_MS, max })
}
