// Conformance scenarios — Who is who: keys, skip and allow lists, and the client address behind proxies.
import { expect } from 'vitest'
import { type EchoBody, hit, type PolicySpec, statuses, withApp } from '../app-factory.js'
import { header, type Scenario, slow } from './kit.js'

export const keysScenarios: readonly Scenario[] = [
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
    id: 'address-read-when-needed',
    name: 'SHOULD work out the client address only for a policy keyed by it or with an address allowList',
    run: async (ctx) => {
      const readsWith = async (policy: Partial<PolicySpec>) => {
        const addressReads = { count: 0 }
        await withApp(ctx, { global: slow(ctx, 5, policy), addressReads }, async (app) => {
          expect(await statuses(app, 2, '/', { 'x-api-key': 'alice' })).toEqual([200, 200])
        })
        return addressReads.count
      }
      // Express computes `req.ip` anew on each read (proxy-addr over X-Forwarded-For).
      expect(await readsWith({ key: header(ctx, 'x-api-key') })).toBe(0)
      expect(await readsWith({ key: header(ctx, 'x-api-key'), allowList: ['198.51.100.0/24'] })).toBeGreaterThan(0)
      expect(await readsWith({})).toBeGreaterThan(0)
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
          // Keyed by a function, allow-listed by address: the adapter must still work the address out.
          '/keyed-by-account': slow(ctx, 1, { key: header(ctx, 'x-api-key'), allowList: ['127.0.0.1'] }),
        },
      }
      return withApp(ctx, spec, async (app) => {
        expect(await statuses(app, 3, '/by-address')).toEqual([200, 200, 200])
        expect((await hit(app, '/by-address')).headers.get('ratelimit')).toBeNull()
        expect(await statuses(app, 3, '/keyed-by-account', { 'x-api-key': 'someone' })).toEqual([200, 200, 200])
        expect(await statuses(app, 3, '/by-key', { 'x-api-key': 'vip' })).toEqual([200, 200, 200])
        expect(await statuses(app, 2, '/by-key', { 'x-api-key': 'someone' })).toEqual([200, 429])
      })
    },
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
    name: "MUST key by the forwarded client behind the README's proxy setting (IPv4-mapped unwrapped, IPv6 by /64)",
    run: (ctx) => {
      const keys: string[] = []
      const allowList = (key: string) => {
        keys.push(key)
        return false
      }
      return withApp(ctx, { behindProxy: true, global: slow(ctx, 1, { allowList }) }, async (app) => {
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
    id: 'trust-proxy-spoofed',
    name: "MUST key by the address the proxy appended, not by X-Forwarded-For entries the client wrote, with the README's setting",
    run: (ctx) =>
      withApp(ctx, { behindProxy: true, global: slow(ctx, 1) }, async (app) => {
        const via = (forwardedFor: string) => hit(app, '/', { 'x-forwarded-for': forwardedFor }).then((r) => r.status)
        expect(await via('198.51.100.1')).toBe(200)
        // The same client prepends made-up addresses: the proxy's entry (rightmost) still names it.
        expect(await via('203.0.113.66, 198.51.100.1')).toBe(429)
        expect(await via('203.0.113.67, 198.51.100.1')).toBe(429)
        // Another client behind the same proxy keeps its own bucket.
        expect(await via('198.51.100.2')).toBe(200)
      }),
  },
  {
    id: 'allow-list-not-by-key',
    name: 'MUST match allow-list IP entries against the client address only, never against a key the client sends',
    run: (ctx) => {
      const spec = { global: slow(ctx, 2, { key: header(ctx, 'x-api-key'), allowList: ['10.0.0.5', '10.9.0.0/16'] }) }
      return withApp(ctx, spec, async (app) => {
        expect(await statuses(app, 4, '/', { 'x-api-key': '10.0.0.5' })).toEqual([200, 200, 429, 429])
        expect(await statuses(app, 3, '/', { 'x-api-key': '10.9.1.1' })).toEqual([200, 200, 429])
      })
    },
  },
  {
    id: 'unix-socket',
    name: 'MUST NOT answer 5xx on a Unix socket (no client address): requests pass, a key function limits them',
    run: async (ctx) => {
      await withApp(ctx, { unixSocket: true, global: slow(ctx, 1) }, async (app) => {
        expect(await statuses(app, 3)).toEqual([200, 200, 200])
      })
      const keyed = { unixSocket: true, global: slow(ctx, 1, { key: header(ctx, 'x-api-key') }) }
      await withApp(ctx, keyed, async (app) => {
        expect(await statuses(app, 2, '/', { 'x-api-key': 'alice' })).toEqual([200, 429])
      })
    },
  },
]
