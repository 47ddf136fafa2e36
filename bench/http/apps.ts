// One tiny JSON app per framework, with a limiter in front of its only route.
import { createServer, type RequestListener } from 'node:http'
import express, { type RequestHandler } from 'express'
import Fastify, { type FastifyPluginAsync } from 'fastify'
import Koa, { type Middleware } from 'koa'

export type Framework = 'express' | 'fastify' | 'koa'
export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'koa']
/** Each framework's name as its docs write it. */
export const FRAMEWORK_NAMES: Readonly<Record<Framework, string>> = {
  express: 'Express',
  fastify: 'Fastify',
  koa: 'Koa',
}

const BODY = { hello: 'world' }

/** A limiter as each framework takes it; `undefined` is the bare app. */
export type FrameworkLimiter =
  | { framework: 'express'; middleware?: RequestHandler }
  | {
      framework: 'fastify'
      plugin?: { plugin: FastifyPluginAsync<never> | unknown; options: unknown }
      /** The route's `config` (e.g. a route policy). */
      routeConfig?: Record<string, unknown>
    }
  | { framework: 'koa'; middleware?: Middleware }

/** Starts the app on 127.0.0.1, port 0, and resolves its port. */
export async function listen(limiter: FrameworkLimiter): Promise<number> {
  if (limiter.framework === 'fastify') {
    const app = await fastifyApp(limiter.plugin, limiter.routeConfig)
    await app.listen({ port: 0, host: '127.0.0.1' })
    return portOf(app.server.address())
  }
  const server = createServer(await requestHandler(limiter))
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(portOf(server.address()))))
}

/** The app as a Node request listener, for driving it in process without a socket (bench/in-process). */
export async function requestHandler(limiter: FrameworkLimiter): Promise<RequestListener> {
  if (limiter.framework === 'express') return expressApp(limiter.middleware)
  if (limiter.framework === 'koa') return koaApp(limiter.middleware).callback()
  const app = await fastifyApp(limiter.plugin, limiter.routeConfig)
  return (request, response) => app.server.emit('request', request, response)
}

function expressApp(middleware?: RequestHandler) {
  const app = express()
  if (middleware) app.use(middleware)
  app.get('/', (_req, res) => {
    res.json(BODY)
  })
  return app
}

async function fastifyApp(plugin?: { plugin: unknown; options: unknown }, routeConfig?: Record<string, unknown>) {
  const app = Fastify()
  // biome-ignore lint/suspicious/noExplicitAny: plugins of different option types go through one door
  if (plugin) await app.register(plugin.plugin as any, plugin.options as never)
  if (routeConfig) app.get('/', { config: routeConfig }, async () => BODY)
  else app.get('/', async () => BODY)
  await app.ready()
  return app
}

function koaApp(middleware?: Middleware) {
  const app = new Koa()
  if (middleware) app.use(middleware)
  app.use((ctx) => {
    ctx.body = BODY
  })
  return app
}

function portOf(address: unknown): number {
  if (typeof address === 'object' && address !== null && 'port' in address) return Number(address.port)
  throw new Error(`not listening on a port: ${String(address)}`)
}
