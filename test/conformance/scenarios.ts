// The adapter conformance scenarios: one list, the same expected results for Express, Fastify and Koa.
import { SpillwayConfigError } from '@spillway/core'
import { expect } from 'vitest'
import {
  type AppSpec,
  type EchoBody,
  hit,
  type PolicySpec,
  parseListField,
  type ScenarioContext,
  sleep,
  statuses,
  withApp,
} from './app-factory.js'

export interface Scenario {
  /** Stable id: keep it when the wording changes, so results stay comparable. */
  readonly id: string
  /** What an adapter MUST do. */
  readonly name: string
  /** Only meaningful on a store shared between processes (Redis). */
  readonly sharedStoreOnly?: boolean
  run(ctx: ScenarioContext): Promise<void>
}

/** B tokens, one more every 12 s (Retry-After 12, w = 12·B): nothing refills during a scenario. */
function slow(ctx: ScenarioContext, capacity: number, extra: Partial<PolicySpec> = {}): PolicySpec {
  return { capacity, refillRate: { tokens: 5, per: '1m' }, store: ctx.store(), ...extra }
}

const header = (ctx: ScenarioContext, name: string) => (request: unknown) => ctx.app.headerOf(request, name)
const PROBLEM_TYPES = 'https://iana.org/assignments/http-problem-types'

async function expectConfigError(ctx: ScenarioContext, spec: AppSpec, option: string, code: string) {
  const built = ctx.app.build(spec)
  await expect(built).rejects.toBeInstanceOf(SpillwayConfigError)
  await expect(built).rejects.toMatchObject({ option, code })
}

export const scenarios: readonly Scenario[] = [
  {
    id: 'burst-then-reject',
    name: 'MUST admit a burst of B requests, then answer 429 with Retry-After until a token refills',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5) }, async (app) => {
        const remaining: unknown[] = []
        for (let i = 0; i < 5; i++) remaining.push((await hit(app)).json<EchoBody>().remaining)
        expect(remaining).toEqual([4, 3, 2, 1, 0])
        const rejected = await hit(app)
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toBe('12')
      }),
  },
  {
    id: 'concurrent-burst',
    name: 'MUST admit exactly B of many concurrent requests',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5) }, async (app) => {
        const replies = await Promise.all(Array.from({ length: 20 }, () => hit(app)))
        const counts = replies.map((r) => r.status).sort()
        expect(counts).toEqual([...Array(5).fill(200), ...Array(15).fill(429)])
      }),
  },
  {
    id: 'refill',
    name: 'MUST admit again once tokens have refilled',
    run: (ctx) =>
      withApp(ctx, { global: { capacity: 2, refillRate: 4, store: ctx.store() } }, async (app) => {
        expect(await statuses(app, 3)).toEqual([200, 200, 429])
        await sleep(300)
        expect((await hit(app)).status).toBe(200)
      }),
  },
  {
    id: 'retry-after',
    name: 'MUST send Retry-After in whole seconds ≥ 1, and admit a client that waits that long',
    run: (ctx) =>
      withApp(ctx, { global: { capacity: 1, refillRate: 1, store: ctx.store() } }, async (app) => {
        expect((await hit(app)).status).toBe(200)
        const rejected = await hit(app)
        expect(rejected.status).toBe(429)
        const retryAfter = rejected.headers.get('retry-after') ?? ''
        expect(retryAfter).toMatch(/^[1-9]\d*$/)
        expect(Number(retryAfter)).toBe(1)
        await sleep(Number(retryAfter) * 1000)
        expect((await hit(app)).status).toBe(200)
      }),
  },
  {
    id: 'route-policy',
    name: 'MUST apply a route policy on its route only',
    run: (ctx) =>
      withApp(ctx, { routes: { '/login': slow(ctx, 2, { name: 'login' }) } }, async (app) => {
        expect(await statuses(app, 2, '/login')).toEqual([200, 200])
        const rejected = await hit(app, '/login')
        expect(rejected.status).toBe(429)
        expect(rejected.json()['violated-policies']).toEqual(['login'])
        expect(await statuses(app, 5, '/')).toEqual([200, 200, 200, 200, 200])
        expect((await hit(app, '/')).headers.get('ratelimit')).toBeNull()
      }),
  },
  {
    id: 'stacked-policies',
    name: 'MUST admit only when both the app-wide and the route policy admit, and list both in RateLimit',
    run: (ctx) => {
      const spec = { global: slow(ctx, 3, { name: 'global' }), routes: { '/login': slow(ctx, 2, { name: 'login' }) } }
      return withApp(ctx, spec, async (app) => {
        const first = await hit(app, '/login')
        expect(first.status).toBe(200)
        expect(first.json<EchoBody>().policy).toBe('login')
        const policies = parseListField(first.headers.get('ratelimit-policy'))
        expect(policies.map((p) => [p.value, p.params.q])).toEqual([
          ['global', 3],
          ['login', 2],
        ])
        expect(parseListField(first.headers.get('ratelimit')).map((i) => [i.value, i.params.r])).toEqual([
          ['global', 2],
          ['login', 1],
        ])
        expect((await hit(app, '/login')).status).toBe(200)
        const rejected = await hit(app, '/login')
        expect(rejected.status).toBe(429)
        expect(rejected.json()['violated-policies']).toEqual(['login'])
        // Not atomic (documented): the app-wide token taken before the route policy rejected is gone.
        expect(parseListField(rejected.headers.get('ratelimit')).map((i) => [i.value, i.params.r])).toEqual([
          ['global', 0],
          ['login', 0],
        ])
        const global = await hit(app, '/')
        expect(global.status).toBe(429)
        expect(global.json()['violated-policies']).toEqual(['global'])
      })
    },
  },
  {
    id: 'exempt-route',
    name: 'MUST neither count nor limit an exempt route',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1), routes: { '/health': false } }, async (app) => {
        const health = await hit(app, '/health')
        expect(health.status).toBe(200)
        expect(health.headers.get('ratelimit')).toBeNull()
        expect(await statuses(app, 2, '/health')).toEqual([200, 200])
        expect(await statuses(app, 2, '/')).toEqual([200, 429])
        expect((await hit(app, '/health')).status).toBe(200)
      }),
  },
  {
    id: 'custom-key',
    name: 'MUST keep one bucket per custom key',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1, { key: header(ctx, 'x-api-key') }) }, async (app) => {
        expect(await statuses(app, 2, '/', { 'x-api-key': 'alice' })).toEqual([200, 429])
        expect((await hit(app, '/', { 'x-api-key': 'bob' })).status).toBe(200)
      }),
  },
  {
    id: 'long-key',
    name: 'MUST limit very long custom keys, keeping keys that differ only at the end apart',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1, { key: header(ctx, 'x-api-key') }) }, async (app) => {
        const long = 'k'.repeat(8_000)
        expect(await statuses(app, 2, '/', { 'x-api-key': `${long}1` })).toEqual([200, 429])
        expect(await statuses(app, 2, '/', { 'x-api-key': `${long}2` })).toEqual([200, 429])
      }),
  },
  {
    id: 'cost-function',
    name: 'MUST take as many tokens as the cost function returns',
    run: (ctx) => {
      const cost = (request: unknown) => Number(ctx.app.headerOf(request, 'x-cost') ?? 1)
      return withApp(ctx, { global: slow(ctx, 5, { cost }) }, async (app) => {
        const first = await hit(app, '/', { 'x-cost': '3' })
        expect([first.status, first.json<EchoBody>().remaining]).toEqual([200, 2])
        const rejected = await hit(app, '/', { 'x-cost': '3' })
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
        const last = await hit(app, '/', { 'x-cost': '2' })
        expect([last.status, last.json<EchoBody>().remaining]).toEqual([200, 0])
      })
    },
  },
  {
    id: 'cost-over-capacity',
    name: 'MUST reject a cost above capacity with 429 and no Retry-After, taking nothing',
    run: (ctx) => {
      const cost = (request: unknown) => Number(ctx.app.headerOf(request, 'x-cost') ?? 1)
      return withApp(ctx, { global: slow(ctx, 5, { cost }) }, async (app) => {
        const rejected = await hit(app, '/', { 'x-cost': '6' })
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toBeNull()
        expect(rejected.json().detail).toContain('more than the limit of 5')
        expect((await hit(app)).json<EchoBody>().remaining).toBe(4)
      })
    },
  },
  {
    id: 'skip',
    name: 'MUST neither count nor label requests the skip function skips',
    run: (ctx) => {
      const skip = (request: unknown) => ctx.app.headerOf(request, 'x-skip') === '1'
      return withApp(ctx, { global: slow(ctx, 1, { skip }) }, async (app) => {
        const skipped = await hit(app, '/', { 'x-skip': '1' })
        expect(skipped.status).toBe(200)
        expect(skipped.headers.get('ratelimit')).toBeNull()
        expect(skipped.json<EchoBody>().remaining).toBeNull()
        expect(await statuses(app, 2, '/', { 'x-skip': '1' })).toEqual([200, 200])
        expect(await statuses(app, 2)).toEqual([200, 429])
        expect((await hit(app, '/', { 'x-skip': '1' })).status).toBe(200)
      })
    },
  },
  {
    id: 'allow-list',
    name: 'MUST neither count nor label allow-listed clients (by address or by key)',
    run: (ctx) => {
      const spec = {
        routes: {
          '/by-address': slow(ctx, 1, { allowList: ['127.0.0.1'] }),
          '/by-key': slow(ctx, 1, { key: header(ctx, 'x-api-key'), allowList: (key: string) => key === 'vip' }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect(await statuses(app, 3, '/by-address')).toEqual([200, 200, 200])
        expect((await hit(app, '/by-address')).headers.get('ratelimit')).toBeNull()
        expect(await statuses(app, 3, '/by-key', { 'x-api-key': 'vip' })).toEqual([200, 200, 200])
        expect(await statuses(app, 2, '/by-key', { 'x-api-key': 'someone' })).toEqual([200, 429])
      })
    },
  },
  {
    id: 'headers-draft-11',
    name: "MUST send draft-11 RateLimit and RateLimit-Policy by default, matching the decision ('q', 'w', 'r', 't')",
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { name: 'api' }) }, async (app) => {
        const reply = await hit(app)
        const { remaining, limit } = reply.json<EchoBody>()
        expect([remaining, limit]).toEqual([4, 5])
        expect(parseListField(reply.headers.get('ratelimit-policy'))).toEqual([
          { value: 'api', params: { q: limit, w: 60 } },
        ])
        const [item] = parseListField(reply.headers.get('ratelimit'))
        expect(item?.value).toBe('api')
        expect(item?.params.r).toBe(remaining)
        expect(item?.params.t).toBeOneOf([11, 12])
        for (const name of ['ratelimit-limit', 'x-ratelimit-limit', 'retry-after']) {
          expect(reply.headers.get(name)).toBeNull()
        }
      }),
  },
  {
    id: 'headers-draft-10',
    name: "MUST send draft-10 fields with headers: 'draft-10'",
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { name: 'api', headers: 'draft-10' }) }, async (app) => {
        const reply = await hit(app)
        expect(parseListField(reply.headers.get('ratelimit-policy'))).toEqual([
          { value: 'api', params: { q: 5, w: 60 } },
        ])
        expect(parseListField(reply.headers.get('ratelimit'))).toEqual([
          { value: 'api', params: { r: reply.json<EchoBody>().remaining, t: 12 } },
        ])
      }),
  },
  {
    id: 'headers-draft-6',
    name: "MUST send RateLimit-Limit/-Remaining/-Reset and an unnamed policy with headers: 'draft-6'",
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { headers: 'draft-6' }) }, async (app) => {
        const reply = await hit(app)
        expect(reply.headers.get('ratelimit-limit')).toBe('5')
        expect(reply.headers.get('ratelimit-remaining')).toBe(String(reply.json<EchoBody>().remaining))
        expect(reply.headers.get('ratelimit-reset')).toBe('12')
        expect(parseListField(reply.headers.get('ratelimit-policy'))).toEqual([{ value: 5, params: { w: 60 } }])
        expect(reply.headers.get('ratelimit')).toBeNull()
      }),
  },
  {
    id: 'legacy-headers',
    name: 'MUST add X-RateLimit-Limit/-Remaining/-Reset with legacyHeaders: true',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 5, { legacyHeaders: true }) }, async (app) => {
        const reply = await hit(app)
        expect(reply.headers.get('x-ratelimit-limit')).toBe('5')
        expect(reply.headers.get('x-ratelimit-remaining')).toBe('4')
        expect(reply.headers.get('x-ratelimit-reset')).toBe('12')
        expect(reply.headers.get('ratelimit')).not.toBeNull()
      }),
  },
  {
    id: 'headers-off',
    name: 'MUST send no RateLimit fields with headers: false, yet Retry-After on 429',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1, { headers: false }) }, async (app) => {
        const admitted = await hit(app)
        const names = [...admitted.headers.keys()].filter((name) => name.includes('ratelimit'))
        expect(names).toEqual([])
        const rejected = await hit(app)
        expect(rejected.status).toBe(429)
        expect(rejected.headers.get('retry-after')).toBe('12')
      }),
  },
  {
    id: 'problem-body',
    name: 'MUST answer 429 with an application/problem+json body naming the violated policy',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 1, { name: 'api' }) }, async (app) => {
        await hit(app)
        const rejected = await hit(app)
        expect(rejected.headers.get('content-type')).toMatch(/^application\/problem\+json/)
        expect(rejected.json()).toMatchObject({
          type: `${PROBLEM_TYPES}#quota-exceeded`,
          title: 'Too Many Requests',
          status: 429,
          'violated-policies': ['api'],
        })
      }),
  },
  {
    id: 'custom-status-and-body',
    name: 'MUST send a custom statusCode and body (JSON for values, text for strings)',
    run: (ctx) => {
      const text = (decision: { policy: { name: string } }) => `slow down (${decision.policy.name})`
      const spec = {
        routes: {
          '/json': slow(ctx, 1, { statusCode: 503, body: { error: 'slow down' } }),
          '/text': slow(ctx, 1, { name: 'text', body: text }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect(await statuses(app, 1, '/json')).toEqual([200])
        const json = await hit(app, '/json')
        expect(json.status).toBe(503)
        expect(json.headers.get('content-type')).toMatch(/^application\/json/)
        expect(json.json()).toEqual({ error: 'slow down' })
        expect(await statuses(app, 1, '/text')).toEqual([200])
        const plain = await hit(app, '/text')
        expect(plain.status).toBe(429)
        expect(plain.headers.get('content-type')).toMatch(/^text\/plain/)
        expect(plain.text).toBe('slow down (text)')
      })
    },
  },
  {
    id: 'custom-handler',
    name: 'MUST let a custom handler write the rejection, with the RateLimit headers already set',
    run: (ctx) => {
      const handler = ({ decision }: { decision?: { policy: { name: string } } }) => ({
        status: 418,
        body: `teapot ${decision?.policy.name}`,
      })
      return withApp(ctx, { global: slow(ctx, 1, { name: 'api', handler }) }, async (app) => {
        await hit(app)
        const rejected = await hit(app)
        expect([rejected.status, rejected.text]).toEqual([418, 'teapot api'])
        expect(rejected.headers.get('retry-after')).toBe('12')
        expect(parseListField(rejected.headers.get('ratelimit'))[0]?.params.r).toBe(0)
      })
    },
  },
  {
    id: 'on-limited',
    name: 'MUST call onLimited once per rejection, with the decision',
    run: (ctx) => {
      const limited: { allowed: boolean; name: string }[] = []
      const onLimited = (decision: { allowed: boolean; policy: { name: string } }) =>
        limited.push({ allowed: decision.allowed, name: decision.policy.name })
      return withApp(ctx, { global: slow(ctx, 1, { name: 'api', onLimited }) }, async (app) => {
        expect(await statuses(app, 3)).toEqual([200, 429, 429])
        expect(limited).toEqual([
          { allowed: false, name: 'api' },
          { allowed: false, name: 'api' },
        ])
      })
    },
  },
  {
    id: 'key-error-default',
    name: "MUST pass a key function's throw or rejection to the framework's error handler (500, no hang)",
    run: (ctx) => {
      const stages: string[] = []
      const onError = (_error: unknown, { stage }: { stage: string }) => stages.push(stage)
      const spec = {
        routes: {
          '/throws': slow(ctx, 5, { onError, key: () => raise('key broke') }),
          '/rejects': slow(ctx, 5, { onError, key: async () => raise('key broke') }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect((await hit(app, '/throws')).status).toBe(500)
        expect((await hit(app, '/rejects')).status).toBe(500)
        expect(stages).toEqual(['key', 'key'])
        expect((await hit(app, '/')).status).toBe(200)
      })
    },
  },
  {
    id: 'key-error-modes',
    name: "MUST let the request through with onKeyError: 'allow' and answer 503 with 'deny'",
    run: (ctx) => {
      const key = () => raise('key broke')
      const spec = {
        routes: {
          '/allow': slow(ctx, 5, { key, onKeyError: 'allow' }),
          '/deny': slow(ctx, 5, { key, onKeyError: 'deny' }),
        },
      } satisfies AppSpec
      return withApp(ctx, spec, async (app) => {
        const allowed = await hit(app, '/allow')
        expect(allowed.status).toBe(200)
        expect(allowed.headers.get('ratelimit')).toBeNull()
        const denied = await hit(app, '/deny')
        expect(denied.status).toBe(503)
        expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/)
        expect(denied.json().type).toBe(`${PROBLEM_TYPES}#temporary-reduced-capacity`)
      })
    },
  },
  {
    id: 'store-error',
    name: "MUST let requests through when the store fails (default), report it to onError, pass it on with 'error', 503 with 'deny'",
    run: (ctx) => {
      const stages: string[] = []
      const onError = (_error: unknown, { stage }: { stage: string }) => stages.push(stage)
      const broken = { name: 'broken', consume: () => Promise.reject(new Error('store down')) }
      const policy = (extra: Partial<PolicySpec>) => ({ capacity: 1, refillRate: 1, store: broken, ...extra })
      const spec = {
        routes: {
          '/allow': policy({ onError }),
          '/error': policy({ onStoreError: 'error' }),
          '/deny': policy({ onStoreError: 'deny' }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect(await statuses(app, 3, '/allow')).toEqual([200, 200, 200])
        expect(stages).toEqual(['store', 'store', 'store'])
        expect((await hit(app, '/error')).status).toBe(500)
        expect((await hit(app, '/deny')).status).toBe(503)
      })
    },
  },
  {
    id: 'decision-on-request',
    name: 'MUST make the decision reachable by later handlers (req.rateLimit / request.rateLimit / ctx.state.rateLimit)',
    run: (ctx) =>
      withApp(ctx, { global: slow(ctx, 3, { name: 'api' }) }, async (app) => {
        for (const expected of [2, 1, 0]) {
          const reply = await hit(app)
          const echo = reply.json<EchoBody>()
          expect(echo).toEqual({ policy: 'api', remaining: expected, limit: 3 })
          expect(parseListField(reply.headers.get('ratelimit'))[0]?.params.r).toBe(echo.remaining)
        }
      }),
  },
  {
    id: 'trust-proxy-off',
    name: 'MUST ignore X-Forwarded-For when the framework does not trust proxies, keying by the plain IPv4 address',
    run: (ctx) => {
      const keys: string[] = []
      const allowList = (key: string) => {
        keys.push(key)
        return false
      }
      return withApp(ctx, { global: slow(ctx, 1, { allowList }) }, async (app) => {
        expect((await hit(app, '/', { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200)
        expect((await hit(app, '/', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(429)
        expect((await hit(app)).status).toBe(429)
        expect(keys).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1'])
      })
    },
  },
  {
    id: 'trust-proxy-on',
    name: 'MUST key by the forwarded client when the framework trusts proxies (IPv4-mapped unwrapped, IPv6 by /64)',
    run: (ctx) => {
      const keys: string[] = []
      const allowList = (key: string) => {
        keys.push(key)
        return false
      }
      return withApp(ctx, { trustProxy: true, global: slow(ctx, 1, { allowList }) }, async (app) => {
        const from = (address: string) => hit(app, '/', { 'x-forwarded-for': address }).then((r) => r.status)
        expect(await from('203.0.113.1')).toBe(200)
        expect(await from('203.0.113.2')).toBe(200)
        expect(await from('::ffff:203.0.113.1')).toBe(429)
        expect(await from('2001:db8:1:2::1')).toBe(200)
        expect(await from('2001:db8:1:2:ffff::9')).toBe(429)
        expect(keys).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.1', '2001:db8:1:2::/64', '2001:db8:1:2::/64'])
      })
    },
  },
  {
    id: 'config-errors',
    name: 'MUST throw SpillwayConfigError at construction for bad options, naming the option',
    run: async (ctx) => {
      await expectConfigError(
        ctx,
        { global: { capacity: -1, refillRate: 1 } },
        'capacity',
        'ERR_SPILLWAY_INVALID_OPTION',
      )
      const badRoute = { routes: { '/login': { capacity: 0, refillRate: 1 } } }
      await expectConfigError(ctx, badRoute, 'capacity', 'ERR_SPILLWAY_INVALID_OPTION')
      const unknown = { global: { capacity: 5, refillRate: 1, max: 5 } as PolicySpec }
      await expectConfigError(ctx, unknown, 'max', 'ERR_SPILLWAY_UNKNOWN_OPTION')
      const handler = { global: { capacity: 5, refillRate: 1, handler: 'nope' } as unknown as PolicySpec }
      await expectConfigError(ctx, handler, 'handler', 'ERR_SPILLWAY_INVALID_OPTION')
    },
  },
  {
    id: 'shared-store',
    name: 'MUST share buckets between two app instances on one Redis store prefix',
    sharedStoreOnly: true,
    run: async (ctx) => {
      const prefix = `conformance:${ctx.app.name}:${Math.random().toString(36).slice(2)}:`
      const spec = () => ({ global: { capacity: 4, refillRate: 1 / 60, name: 'shared', store: ctx.store(prefix) } })
      await withApp(ctx, spec(), (first) =>
        withApp(ctx, spec(), async (second) => {
          const remaining: unknown[] = []
          for (const app of [first, second, first, second]) remaining.push((await hit(app)).json<EchoBody>().remaining)
          expect(remaining).toEqual([3, 2, 1, 0])
          expect([(await hit(first)).status, (await hit(second)).status]).toEqual([429, 429])
        }),
      )
    },
  },
]

function raise(message: string): never {
  throw new Error(message)
}
