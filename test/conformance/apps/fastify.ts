// The Fastify app factory for the conformance suite.
import { type RateLimitOptions, type RateLimitRouteOptions, rateLimit } from '@spillway/fastify'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import {
  type AppFactory,
  countAddressReads,
  echoBody,
  listenTarget,
  type PolicySpec,
  routeActions,
  runningApp,
} from '../app-factory.js'

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

const echo = async (request: FastifyRequest, reply: FastifyReply) => {
  reply.code(await routeActions(request.query as Record<string, unknown>, request.rateLimitBuckets))
  return echoBody(request.rateLimit)
}

export const fastifyApp: AppFactory = {
  name: 'fastify',
  version: '5',
  headerOf: (request, name) => [(request as FastifyRequest).headers[name]].flat()[0],
  statusOf: (response) => (response as FastifyReply).statusCode,
  async build(spec) {
    const { global, defaults, routes = {}, behindProxy = false, trustEveryProxy = false } = spec
    // The README's setting: the address of the one proxy in front (a number would trust nothing in Fastify 5).
    const app = Fastify(trustEveryProxy ? { trustProxy: true } : behindProxy ? { trustProxy: '127.0.0.1' } : {})
    try {
      const shared = defaults ? options(defaults as PolicySpec) : {}
      const plugin: RateLimitOptions = global ? { ...shared, ...options(global) } : { ...shared, global: false }
      const { addressReads, presetHeader } = spec
      if (addressReads || presetHeader) {
        app.addHook('onRequest', (request, reply, done) => {
          if (addressReads) countAddressReads(request, addressReads)
          if (presetHeader) reply.header(...presetHeader)
          done()
        })
      }
      await app.register(rateLimit, plugin)
      app.get('/', echo)
      for (const [path, policy] of Object.entries(routes)) {
        app.get(path, { config: { rateLimit: policy === false ? false : options(policy) } }, echo)
      }
      await app.listen(listenTarget(spec))
      return { ...runningApp(app.server), close: () => app.close() }
    } catch (error) {
      await app.close()
      throw error
    }
  },
}
