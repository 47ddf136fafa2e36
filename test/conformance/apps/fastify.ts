// The Fastify app factory for the conformance suite.
import { type RateLimitOptions, type RateLimitRouteOptions, rateLimit } from '@spillway/fastify'
import Fastify, { type FastifyRequest } from 'fastify'
import { type AppFactory, echoBody, type PolicySpec } from '../app-factory.js'

function options({ handler, ...rest }: PolicySpec): RateLimitRouteOptions {
  if (typeof handler !== 'function') return { ...rest, handler } as RateLimitRouteOptions
  return {
    ...rest,
    handler: (_request, reply, rejection) => {
      const { status, body } = handler(rejection)
      return reply.code(status).type('text/plain').send(body)
    },
  }
}

const echo = async (request: FastifyRequest) => echoBody(request.rateLimit)

export const fastifyApp: AppFactory = {
  name: 'fastify',
  headerOf: (request, name) => [(request as FastifyRequest).headers[name]].flat()[0],
  async build({ global, routes = {}, trustProxy = false }) {
    const app = Fastify({ trustProxy })
    try {
      const plugin: RateLimitOptions = global ? options(global) : { global: false }
      await app.register(rateLimit, plugin)
      app.get('/', echo)
      for (const [path, policy] of Object.entries(routes)) {
        app.get(path, { config: { rateLimit: policy === false ? false : options(policy) } }, echo)
      }
      const url = await app.listen({ host: '127.0.0.1', port: 0 })
      return { url, close: () => app.close() }
    } catch (error) {
      await app.close()
      throw error
    }
  },
}
