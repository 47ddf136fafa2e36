// The limiter of a case as its framework takes it: the usual peer or Spillway, in memory or on Redis through `client`.
import type { Redis } from 'ioredis'
import {
  adapterOptions,
  expressRateLimit,
  fastifyRateLimit,
  koaRateLimit,
  spillwayStore,
  type Verdict,
} from '../spillway.js'
import type { Framework, FrameworkLimiter } from './apps.js'
import { expressPeer, fastifyPeer, koaPeer } from './peers.js'

/** The framework's usual peer: on its Redis store with `client`, else on its default in-process store. */
export function peerLimiter(framework: Framework, verdict: Verdict, client?: Redis): FrameworkLimiter {
  if (framework === 'express') return { framework, middleware: expressPeer(verdict, client) }
  if (framework === 'fastify') return { framework, plugin: fastifyPeer(verdict, client) }
  return { framework, middleware: koaPeer(verdict, client) }
}

/** Spillway's adapter: on RedisStore with `client`, else on MemoryStore. */
export function spillwayLimiter(framework: Framework, verdict: Verdict, client?: Redis): FrameworkLimiter {
  const options = adapterOptions(verdict, spillwayStore(client))
  if (framework === 'express') return { framework, middleware: expressRateLimit(options) }
  if (framework === 'fastify') return { framework, plugin: { plugin: fastifyRateLimit, options } }
  return { framework, middleware: koaRateLimit(options) }
}
