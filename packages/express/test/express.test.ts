// Express-only behaviour the shared conformance suite does not cover: option splitting, naming, the last-resort catch.

import http from 'node:http'
import { type Decision, SpillwayConfigError } from '@spillway/core'
import { type RateLimitOptions, rateLimit } from '@spillway/express'
import express from 'express'
import request from 'supertest'
import { describe, expect, expectTypeOf, test } from 'vitest'

const slow = { refillRate: { tokens: 1, per: '1m' } }

describe('@spillway/express', () => {
  test('returns a named middleware, so stack traces read', () => {
    expect(rateLimit({ capacity: 1, ...slow }).name).toBe('spillwayRateLimit')
  })

  test.each([
    [{ capacity: 1, ...slow, handler: 'nope' }, 'handler', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ capacity: 1, ...slow, windowMs: 1000 }, 'windowMs', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
    [undefined, 'options', 'ERR_SPILLWAY_INVALID_OPTION'],
  ])('throws SpillwayConfigError at construction: %j', (options, option, code) => {
    const build = () => rateLimit(options as unknown as RateLimitOptions)
    expect(build).toThrow(SpillwayConfigError)
    expect(build).toThrow(expect.objectContaining({ option, code }))
  })

  test('passes an async handler failure to the error handler instead of an unhandled rejection', async () => {
    const app = express()
    const handler = async () => {
      throw new Error('handler broke')
    }
    app.use(rateLimit({ capacity: 1, ...slow, handler }))
    app.get('/', (_req, res) => void res.send('ok'))
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send(error.message)
    })
    await request(app).get('/').expect(200)
    await request(app).get('/').expect(500, 'handler broke')
  })

  test('req.rateLimit and req.rateLimitBuckets are read through the request, never added to it', async () => {
    const app = express()
    const seen: unknown[] = []
    app.use(rateLimit({ name: 'global', capacity: 5, ...slow }))
    app.use(rateLimit({ name: 'route', capacity: 3, ...slow }))
    app.get('/', async (req, res) => {
      // An added property would give the request a new hidden class each time (see holderOf).
      seen.push(Object.hasOwn(req, 'rateLimit'), Object.hasOwn(req, 'rateLimitBuckets'))
      const peeked = await req.rateLimitBuckets?.peek()
      res.json({ policy: req.rateLimit?.policy.name, remaining: req.rateLimit?.remaining, peeked: peeked?.length })
    })
    await request(app).get('/').expect(200, { policy: 'route', remaining: 2, peeked: 2 })
    expect(seen).toEqual([false, false])
  })

  test('a sub-app reads the fields a parent app recorded, and a write goes where reads look', async () => {
    const parent = express()
    const child = express()
    child.get('/', (req, res) => {
      const recorded = req.rateLimit?.remaining
      req.rateLimit = undefined
      res.json({ recorded, afterWrite: req.rateLimit ?? null })
    })
    parent.use(rateLimit({ capacity: 5, ...slow }))
    parent.use('/child', child)
    await request(parent).get('/child').expect(200, { recorded: 4, afterWrite: null })
  })

  test('outside Express (a plain http server), the fields are on the request itself: no prototype is touched', async () => {
    // A key function: a plain request has no `req.ip` and no `req.app`.
    const middleware = rateLimit({ capacity: 5, ...slow, key: () => 'client' })
    const server = http.createServer((req, res) => {
      middleware(req as express.Request, res as express.Response, () => {
        const seen = (req as express.Request).rateLimit?.remaining
        res.end(JSON.stringify({ seen, shared: 'rateLimit' in http.IncomingMessage.prototype || 'rateLimit' in {} }))
      })
    })
    const response = await request(server).get('/').expect(200)
    expect(JSON.parse(response.text)).toEqual({ seen: 4, shared: false })
  })

  test('warns about X-Forwarded-For in an app that trusts no proxy though earlier requests carried none', async () => {
    const codes: unknown[] = []
    const onWarning = (warning: Error & { code?: string }) => codes.push(warning.code)
    process.on('warning', onWarning)
    try {
      const app = express()
      app.use(rateLimit({ capacity: 100, ...slow }))
      app.get('/', (_req, res) => void res.send('ok'))
      // A health check without the header comes first; the header is looked at in one request of 16.
      for (let i = 0; i < 5; i++) await request(app).get('/').expect(200)
      for (let i = 0; i < 16; i++) await request(app).get('/').set('X-Forwarded-For', '198.51.100.1').expect(200)
      await new Promise((resolve) => setImmediate(resolve))
      expect(codes.filter((code) => code === 'SPILLWAY_UNTRUSTED_FORWARDED_FOR')).toHaveLength(1)
    } finally {
      process.off('warning', onWarning)
    }
  })

  test('types: req.rateLimit is augmented', () => {
    expectTypeOf<express.Request['rateLimit']>().toEqualTypeOf<Decision | undefined>()
  })
})

describe('@spillway/express types', () => {
  test('a body function gets a typed decision and request under strict mode', () => {
    const options: RateLimitOptions = {
      capacity: 1,
      refillRate: 1,
      body: (decision, req) => ({ retryInMs: decision.retryAfterMs, at: req.path }),
    }
    expectTypeOf(options.body).not.toBeUndefined()
    if (typeof options.body !== 'function') throw new Error('expected a function')
    expectTypeOf(options.body).parameter(1).toEqualTypeOf<express.Request>()
  })
})
