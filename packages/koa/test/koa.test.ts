// Koa-only behaviour the shared conformance suite does not cover: option splitting, naming, handler errors, types.
import Router from '@koa/router'
import { type Decision, SpillwayConfigError } from '@spillway/core'
import { type RateLimitOptions, rateLimit } from '@spillway/koa'
import Koa, { type Context } from 'koa'
import request from 'supertest'
import { describe, expect, expectTypeOf, test } from 'vitest'

const slow = { refillRate: { tokens: 1, per: '1m' } }

describe('@spillway/koa', () => {
  test('returns a named middleware, so stack traces read', () => {
    expect(rateLimit({ capacity: 1, ...slow }).name).toBe('spillwayRateLimit')
  })

  test.each([
    [{ capacity: 1, ...slow, handler: 'nope' }, 'handler', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ capacity: 1, ...slow, max: 1 }, 'max', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
    [null, 'options', 'ERR_SPILLWAY_INVALID_OPTION'],
  ])('throws SpillwayConfigError at construction: %j', (options, option, code) => {
    const build = () => rateLimit(options as unknown as RateLimitOptions)
    expect(build).toThrow(SpillwayConfigError)
    expect(build).toThrow(expect.objectContaining({ option, code }))
  })

  test("sends a handler's failure through Koa's error handling", async () => {
    const app = new Koa()
    app.silent = true
    const handler = async () => {
      throw new Error('handler broke')
    }
    app.use(rateLimit({ capacity: 1, ...slow, handler }))
    app.use((ctx) => {
      ctx.body = 'ok'
    })
    const server = app.callback()
    await request(server).get('/').expect(200)
    await request(server).get('/').expect(500)
  })

  test('works as @koa/router route middleware, with the decision typed on ctx.state', async () => {
    const app = new Koa()
    const router = new Router()
    router.post('/login', rateLimit({ capacity: 1, ...slow, name: 'login' }), (ctx) => {
      expectTypeOf(ctx.state.rateLimit).toEqualTypeOf<Decision | undefined>()
      ctx.body = { remaining: ctx.state.rateLimit?.remaining }
    })
    app.use(router.routes())
    await request(app.callback()).post('/login').expect(200, { remaining: 0 })
    await request(app.callback()).post('/login').expect(429)
  })
})

describe('@spillway/koa types', () => {
  test('a body function gets a typed decision and request under strict mode', () => {
    const options: RateLimitOptions = {
      capacity: 1,
      refillRate: 1,
      body: (decision, req) => ({ retryInMs: decision.retryAfterMs, at: req.path }),
    }
    expectTypeOf(options.body).not.toBeUndefined()
    if (typeof options.body !== 'function') throw new Error('expected a function')
    expectTypeOf(options.body).parameter(1).toEqualTypeOf<Context>()
  })
})
