import Router from '@koa/router'
import { type RateLimitOptions, rateLimit } from '@spillway/koa'
import Koa, { type Context } from 'koa'
import { type AppFactory, echoBody, type PolicySpec, serveOnLoopback } from '../app-factory.js'

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

const echo = (ctx: Context) => {
  ctx.body = echoBody(ctx.state.rateLimit)
}

export const koaApp: AppFactory = {
  name: 'koa',
  headerOf: (request, name) => (request as Context).get(name) || undefined,
  async build({ global, routes = {}, trustProxy = false }) {
    const app = new Koa({ proxy: trustProxy })
    app.silent = true
    const exempt = new Router()
    const router = new Router()
    router.get('/', echo)
    for (const [path, policy] of Object.entries(routes)) {
      if (policy === false) exempt.get(path, echo)
      else router.get(path, rateLimit(options(policy)), echo)
    }
    app.use(exempt.routes())
    if (global) app.use(rateLimit(options(global)))
    app.use(router.routes())
    return serveOnLoopback(app.listen(0, '127.0.0.1'))
  },
}
