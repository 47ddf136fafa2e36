import { createServer } from 'node:http'
import { type RateLimitOptions, rateLimit } from '@spillway/express'
import express, { type Express, type Request, type Response } from 'express'
import { type AppFactory, countAddressReads, echoBody, type PolicySpec, routeActions, serve } from '../app-factory.js'

function options({ handler, ...rest }: PolicySpec): RateLimitOptions {
  if (typeof handler !== 'function') return { ...rest, handler } as RateLimitOptions
  return {
    ...rest,
    handler: (_req, res, _next, rejection) => {
      const { status, body } = handler(rejection)
      res.status(status).type('text').send(body)
    },
  }
}

const echo = (req: Request, res: Response) => {
  routeActions(req.query, req.rateLimitBuckets).then((status) => {
    if (!res.destroyed) res.status(status).json(echoBody(req.rateLimit))
  })
}

/** The Express factory for one Express version (the oldest supported is tested as well as the newest). */
export function expressAppOn(createApp: () => Express, version: string): AppFactory {
  return {
    name: 'express',
    version,
    headerOf: (request, name) => (request as Request).get(name),
    statusOf: (response) => (response as Response).statusCode,
    async build(spec) {
      const { global, defaults, routes = {}, behindProxy = false, trustEveryProxy = false } = spec
      const limit = defaults ? rateLimit.withDefaults(options(defaults as PolicySpec)) : rateLimit
      const app = createApp()
      // The README's setting: exactly one proxy of yours in front.
      app.set('trust proxy', trustEveryProxy || (behindProxy ? 1 : false))
      const { addressReads, presetHeader } = spec
      if (addressReads || presetHeader) {
        app.use((req, res, next) => {
          if (addressReads) countAddressReads(req, addressReads)
          if (presetHeader) res.setHeader(...presetHeader)
          next()
        })
      }
      const entries = Object.entries(routes)
      for (const [path, policy] of entries) if (policy === false) app.get(path, echo)
      if (global) app.use(limit(options(global)))
      app.get('/', echo)
      for (const [path, policy] of entries) if (policy !== false) app.get(path, limit(options(policy)), echo)
      return serve(createServer(app), spec)
    },
  }
}

export const expressApp = expressAppOn(express, '5')
