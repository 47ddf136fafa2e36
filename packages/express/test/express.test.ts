// Express-only behaviour the shared conformance suite does not cover: option splitting, naming, the last-resort catch.
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
