// The limiter of a case as its framework takes it: the usual peer or Spillway, in memory or on Redis through `client`.
import type { Store } from '@spillway/core'
import type { Redis } from 'ioredis'
import {
  adapterOptions,
  expressRateLimit,
  fastifyRateLimit,
  koaRateLimit,
  policyOptions,
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

/**
 * An app-wide policy and a route policy on one store, decided all-or-nothing: Fastify's plugin with a route
 * policy (one `consumeAll` per request); Express and Koa two middlewares in a row (the second decides with
 * the first one's tokens held, in one `consumeAll`).
 */
export function spillwayStackedLimiter(framework: Framework, verdict: Verdict, store: Store): FrameworkLimiter {
  const app = { ...adapterOptions(verdict, store), name: 'app' }
  const route = { ...adapterOptions(verdict, store), name: 'route' }
  if (framework === 'fastify') {
    // The route policy inherits the store and the rest from the plugin's options.
    const routePolicy = { ...policyOptions(verdict), name: 'route' }
    return { framework, plugin: { plugin: fastifyRateLimit, options: app }, routeConfig: { rateLimit: routePolicy } }
  }
  if (framework === 'express') {
    const [first, second] = [expressRateLimit(app), expressRateLimit(route)]
    return {
      framework,
      middleware: (req, res, next) =>
        first(req, res, (error?: unknown) => (error ? next(error) : second(req, res, next))),
    }
  }
  const [first, second] = [koaRateLimit(app), koaRateLimit(route)]
  return { framework, middleware: (ctx, next) => first(ctx, () => second(ctx, next)) }
}
