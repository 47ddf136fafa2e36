// Fastify-only: requests matching no route limited with `notFound: true`, and `app.rateLimit(opts)` as a hook.
import { SpillwayConfigError } from '@spillway/core'
import { type RateLimitHook, rateLimit } from '@spillway/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { parseList } from 'structured-headers'
import { afterEach, describe, expect, test } from 'vitest'

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

function newApp(): FastifyInstance {
  const app = Fastify()
  apps.push(app)
  return app
}

const slow = { refillRate: { tokens: 1, per: '1m' } }
const statusesOf = async (app: FastifyInstance, urls: string[]) => {
  const result: number[] = []
  for (const url of urls) result.push((await app.inject(url)).statusCode)
  return result
}

describe('404s', () => {
  test('are not limited by default: a scanner never runs out', async () => {
    const app = newApp()
    await app.register(rateLimit, { capacity: 2, ...slow })
    app.get('/', async () => 'ok')
    expect(await statusesOf(app, ['/a', '/b', '/c', '/d'])).toEqual([404, 404, 404, 404])
  })

  test('spend the app-wide policy with notFound: true, so route scanning is throttled', async () => {
    const app = newApp()
    await app.register(rateLimit, { capacity: 3, ...slow, notFound: true })
    app.get('/', async () => 'ok')
    const scan = await app.inject('/wp-admin')
    expect(scan.statusCode).toBe(404)
    expect(scan.headers['ratelimit-policy']).toBe('"default";q=3;w=180')
    // One bucket for both: two scans and a real request spend it; each is counted once.
    expect(await statusesOf(app, ['/.env', '/', '/phpmyadmin', '/'])).toEqual([404, 200, 429, 429])
  })

  test('also through a custom not-found handler', async () => {
    const app = newApp()
    await app.register(rateLimit, { capacity: 1, ...slow, notFound: true })
    app.setNotFoundHandler(async (_request, reply) => reply.code(404).send('nothing here'))
    expect(await statusesOf(app, ['/x', '/y'])).toEqual([404, 429])
  })

  test('notFound: true needs the app-wide policy; a non-boolean is rejected', async () => {
    await expect(newApp().register(rateLimit, { global: false, notFound: true as never })).rejects.toMatchObject({
      code: 'ERR_SPILLWAY_INVALID_OPTION',
      option: 'notFound',
    })
    await expect(
      newApp().register(rateLimit, { capacity: 1, ...slow, notFound: 'yes' as never }),
    ).rejects.toBeInstanceOf(SpillwayConfigError)
  })
})

describe('app.rateLimit(options?)', () => {
  test("with no options: the app-wide policy, in setNotFoundHandler's preHandler (the @fastify/rate-limit idiom)", async () => {
    const app = newApp()
    await app.register(rateLimit, { capacity: 2, ...slow })
    // The cast: bench/ puts @fastify/rate-limit's own `rateLimit()` overload into this type-check program.
    const hook = app.rateLimit() as unknown as RateLimitHook
    app.setNotFoundHandler({ preHandler: hook }, async (_request, reply) => reply.code(404).send('no'))
    expect(await statusesOf(app, ['/a', '/b', '/c'])).toEqual([404, 404, 429])
  })

  test('with options: a policy of its own, inheriting the plugin options, in onRequest or preHandler', async () => {
    const app = newApp()
    await app.register(rateLimit, { global: false, legacyHeaders: true })
    app.get('/a', { onRequest: app.rateLimit({ capacity: 1, ...slow }) }, async () => 'a')
    app.get('/b', { preHandler: app.rateLimit({ capacity: 2, ...slow, name: 'b' }) }, async (request) => ({
      remaining: request.rateLimit?.remaining,
    }))
    const first = await app.inject('/a')
    expect([first.statusCode, first.headers['x-ratelimit-limit']]).toEqual([200, '1'])
    expect(parseList(String(first.headers['ratelimit-policy'])).map(([name]) => name)).toEqual(['hook-1'])
    expect(await statusesOf(app, ['/a', '/b', '/b', '/b'])).toEqual([429, 200, 200, 429])
    expect((await app.inject('/b')).headers['ratelimit-policy']).toMatch(/^"b";/)
  })

  test("after the app-wide policy, in another hook: its fields join the app-wide policy's, and draft-6 picks the closer one", async () => {
    const app = newApp()
    await app.register(rateLimit, { capacity: 5, ...slow, legacyHeaders: true })
    app.get('/x', { preHandler: app.rateLimit({ capacity: 2, ...slow, name: 'x' }) }, async () => 'x')
    const reply = await app.inject('/x')
    expect(parseList(String(reply.headers['ratelimit-policy'])).map(([name]) => name)).toEqual(['default', 'x'])
    expect(parseList(String(reply.headers.ratelimit)).map(([name]) => name)).toEqual(['default', 'x'])
    // Legacy fields describe one policy: the one with fewer tokens left (x: 1 of 2, the app-wide one: 4 of 5).
    expect([reply.headers['x-ratelimit-limit'], reply.headers['x-ratelimit-remaining']]).toEqual(['2', '1'])
  })

  test('with no options and no app-wide policy: a clear configuration error', async () => {
    const app = newApp()
    await app.register(rateLimit, { global: false })
    expect(() => app.rateLimit()).toThrow(SpillwayConfigError)
  })
})
