// One tiny JSON app per framework, with a limiter in front of its only route.
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
  | { framework: 'fastify'; plugin?: { plugin: FastifyPluginAsync<never> | unknown; options: unknown } }
  | { framework: 'koa'; middleware?: Middleware }

/** Starts the app on 127.0.0.1, port 0, and resolves its port. */
export async function listen(limiter: FrameworkLimiter): Promise<number> {
  if (limiter.framework === 'express') return listenExpress(limiter.middleware)
  if (limiter.framework === 'fastify') return listenFastify(limiter.plugin)
  return listenKoa(limiter.middleware)
}

function listenExpress(middleware?: RequestHandler): Promise<number> {
  const app = express()
  if (middleware) app.use(middleware)
  app.get('/', (_req, res) => {
    res.json(BODY)
  })
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(portOf(server.address())))
  })
}

async function listenFastify(plugin?: { plugin: unknown; options: unknown }): Promise<number> {
  const app = Fastify()
  // biome-ignore lint/suspicious/noExplicitAny: plugins of different option types go through one door
  if (plugin) await app.register(plugin.plugin as any, plugin.options as never)
  app.get('/', async () => BODY)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return portOf(app.server.address())
}

function listenKoa(middleware?: Middleware): Promise<number> {
  const app = new Koa()
  if (middleware) app.use(middleware)
  app.use((ctx) => {
    ctx.body = BODY
  })
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(portOf(server.address())))
  })
}

function portOf(address: unknown): number {
  if (typeof address === 'object' && address !== null && 'port' in address) return Number(address.port)
  throw new Error(`not listening on a port: ${String(address)}`)
}
