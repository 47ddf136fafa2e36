import { createServer } from 'node:http'
import Router from '@koa/router'
import { type RateLimitOptions, rateLimit } from '@spillway/koa'
import Koa, { type Context } from 'koa'
import { type AppFactory, countAddressReads, echoBody, type PolicySpec, routeActions, serve } from '../app-factory.js'

function options({ handler, ...rest }: PolicySpec): RateLimitOptions {
  if (typeof handler !== 'function') return { ...rest, handler } as RateLimitOptions
  return {
    ...rest,
    handler: (ctx, rejection) => {
      const { status, body } = handler(rejection)
      ctx.status = status
      ctx.body = body
    },
  }
}

const echo = async (ctx: Context) => {
  ctx.status = await routeActions(ctx.query, ctx.state.rateLimitBuckets)
  ctx.body = echoBody(ctx.state.rateLimit)
}

/** The Koa factory for one Koa version (the oldest supported is tested as well as the newest). */
export function koaAppOn(KoaClass: typeof Koa, version: string): AppFactory {
  return {
    name: 'koa',
    version,
    headerOf: (request, name) => (request as Context).get(name) || undefined,
    statusOf: (response) => (response as Context['response']).status,
    async build(spec) {
      const { global, defaults, routes = {}, behindProxy = false, trustEveryProxy = false } = spec
      const limit = defaults ? rateLimit.withDefaults(options(defaults as PolicySpec)) : rateLimit
      // The README's setting: exactly one proxy of yours in front.
      const app = new KoaClass(trustEveryProxy ? { proxy: true } : behindProxy ? { proxy: true, maxIpsCount: 1 } : {})
      app.silent = true
      const { addressReads, presetHeader } = spec
      if (addressReads || presetHeader) {
        app.use((ctx, next) => {
          if (addressReads) countAddressReads(ctx.request, addressReads)
          if (presetHeader) ctx.set(...presetHeader)
          return next()
        })
      }
      const exempt = new Router()
      const router = new Router()
      router.get('/', echo)
      for (const [path, policy] of Object.entries(routes)) {
        if (policy === false) exempt.get(path, echo)
        else router.get(path, limit(options(policy)), echo)
      }
      app.use(exempt.routes())
      if (global) app.use(limit(options(global)))
      app.use(router.routes())
      return serve(createServer(app.callback()), spec)
    },
  }
}

export const koaApp = koaAppOn(Koa, '3')
