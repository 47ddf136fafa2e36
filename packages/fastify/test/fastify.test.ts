// Fastify-only behaviour the shared conformance suite cannot express: route names, HEAD, inheritance, hooks.
import { MemoryStore, SpillwayConfigError } from '@spillway/core'
import { type RateLimitRouteOptions as RateLimitOptions, rateLimit } from '@spillway/fastify'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { parseList } from 'structured-headers'
import { afterEach, describe, expect, expectTypeOf, test } from 'vitest'

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

function newApp(): FastifyInstance {
  const app = Fastify()
  apps.push(app)
  return app
}

const policyNames = (value: unknown) => parseList(String(value)).map(([item]) => item)
const slow = { refillRate: { tokens: 1, per: '1m' } }

describe('@spillway/fastify', () => {
  test('names a route policy after its method and URL by default', async () => {
    const app = newApp()
    await app.register(rateLimit, { capacity: 10, ...slow, name: 'global' })
    app.get('/users/:id', { config: { rateLimit: { capacity: 2, ...slow } } }, async () => 'ok')
    app.get('/files/*', { config: { rateLimit: { capacity: 2, ...slow } } }, async () => 'ok')
    const user = await app.inject('/users/7')
    expect(policyNames(user.headers['ratelimit-policy'])).toEqual(['global', 'GET:/users/:id'])
    const [, files] = policyNames((await app.inject('/files/a/b')).headers['ratelimit-policy'])
    expect(files).toMatch(/^GET:\/files\/_\.[0-9a-f]{11}$/)
  })

  test('lets the automatic HEAD route share the GET route policy', async () => {
    const app = newApp()
    await app.register(rateLimit, { global: false })
    app.get('/login', { config: { rateLimit: { capacity: 2, ...slow } } }, async () => 'ok')
    expect((await app.inject({ method: 'HEAD', url: '/login' })).statusCode).toBe(200)
    expect((await app.inject('/login')).statusCode).toBe(200)
    expect((await app.inject({ method: 'HEAD', url: '/login' })).statusCode).toBe(429)
  })

  test('route policies inherit store, headers, key and handler, but not capacity, name or cost', async () => {
    const store = new MemoryStore()
    const app = newApp()
    await app.register(rateLimit, {
      capacity: 10,
      ...slow,
      name: 'global',
      cost: 2,
      store,
      standardHeaders: 'draft-6',
      key: (request) => String(request.headers['x-user']),
      handler: (_request, reply) => reply.code(429).send('custom'),
    })
    app.get('/login', { config: { rateLimit: { capacity: 1, ...slow } } }, async () => 'ok')
    const first = await app.inject({ url: '/login', headers: { 'x-user': 'a' } })
    expect(first.headers['ratelimit-policy']).toBe('10;w=600, 1;w=60')
    expect(first.headers['ratelimit-remaining']).toBe('0')
    expect(store.size).toBe(2)
    const second = await app.inject({ url: '/login', headers: { 'x-user': 'a' } })
    expect([second.statusCode, second.body]).toEqual([429, 'custom'])
    expect((await app.inject({ url: '/login', headers: { 'x-user': 'b' } })).statusCode).toBe(200)
  })

  test("with global: false limits only routes with a policy, using the plugin's options as defaults", async () => {
    const app = newApp()
    await app.register(rateLimit, { global: false, standardHeaders: 'draft-6' })
    app.get('/', async () => 'ok')
    app.get('/login', { config: { rateLimit: { capacity: 1, ...slow } } }, async () => 'ok')
    expect((await app.inject('/')).headers['ratelimit-limit']).toBeUndefined()
    expect((await app.inject('/login')).headers['ratelimit-limit']).toBe('1')
  })

  test('does not run the route handler after a rejection, even with async onSend hooks', async () => {
    const app = newApp()
    let handled = 0
    app.addHook('onSend', async () => {})
    await app.register(rateLimit, { capacity: 1, ...slow })
    app.get('/', async () => ++handled)
    expect((await app.inject('/')).statusCode).toBe(200)
    expect((await app.inject('/')).statusCode).toBe(429)
    expect(handled).toBe(1)
  })

  test("sends a handler's failure through Fastify's error handling", async () => {
    const app = newApp()
    await app.register(rateLimit, {
      capacity: 1,
      ...slow,
      handler: () => {
        throw new Error('handler broke')
      },
    })
    app.get('/', async () => 'ok')
    await app.inject('/')
    const reply = await app.inject('/')
    expect([reply.statusCode, reply.json().message]).toEqual([500, 'handler broke'])
  })

  test.each([
    [{ capacity: 5, refillRate: 1, max: 5 }, 'max', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
    [{ capacity: 5, refillRate: 1, global: 'yes' }, 'global', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ global: false, windowMs: 1000 }, 'windowMs', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
    [{ capacity: -1, refillRate: 1 }, 'capacity', 'ERR_SPILLWAY_INVALID_OPTION'],
  ])('rejects bad plugin options at registration: %j', async (options, option, code) => {
    const registered = newApp().register(rateLimit, options as never)
    await expect(registered).rejects.toBeInstanceOf(SpillwayConfigError)
    await expect(newApp().register(rateLimit, options as never)).rejects.toMatchObject({ option, code })
  })

  test('rejects a bad route policy when the route is defined', async () => {
    const app = newApp()
    await app.register(rateLimit, { global: false })
    const define = (rateLimit: unknown) => () =>
      app.get('/x', { config: { rateLimit: rateLimit as never } }, async () => 1)
    expect(define(true)).toThrow(expect.objectContaining({ option: 'config.rateLimit' }))
    expect(define({ capacity: 0, refillRate: 1 })).toThrow(expect.objectContaining({ option: 'capacity' }))
    expect(define({ capacity: 1, refillRate: 1, global: false })).toThrow(expect.objectContaining({ option: 'global' }))
  })

  test("ignores register's own options (prefix) instead of rejecting them", async () => {
    const app = newApp()
    await app.register(rateLimit, { capacity: 1, ...slow, prefix: '/api' } as never)
    app.get('/', async () => 'ok')
    expect((await app.inject('/')).headers.ratelimit).toBeDefined()
  })

  test('types: request.rateLimit and config.rateLimit are augmented', () => {
    expectTypeOf<import('fastify').FastifyRequest['rateLimit']>().toEqualTypeOf<
      import('@spillway/core').Decision | undefined
    >()
  })
})

describe('@spillway/fastify types', () => {
  test('a body function gets a typed decision and request under strict mode', () => {
    const options: RateLimitOptions = {
      capacity: 1,
      refillRate: 1,
      body: (decision, req) => ({ retryInMs: decision.retryAfterMs, at: req.url }),
    }
    expectTypeOf(options.body).not.toBeUndefined()
    if (typeof options.body !== 'function') throw new Error('expected a function')
    expectTypeOf(options.body).parameter(1).toEqualTypeOf<FastifyRequest>()
  })
})
