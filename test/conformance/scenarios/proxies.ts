// Conformance scenarios — hostile proxy setups are warned about once per middleware, with a code and a link.
import { expect } from 'vitest'
import type { ScenarioContext } from '../app-factory.js'
import { type AppSpec, hit, sleep, withApp } from '../app-factory.js'
import { header, type Scenario, slow } from './kit.js'

const PERMISSIVE = 'SPILLWAY_PERMISSIVE_TRUST_PROXY'
const UNTRUSTED = 'SPILLWAY_UNTRUSTED_FORWARDED_FOR'

/** The Spillway proxy warnings the process emits while `body` runs. */
async function proxyWarnings(body: () => Promise<void>): Promise<Array<{ code: string; message: string }>> {
  const seen: Array<{ code: string; message: string }> = []
  const listen = (warning: Error & { code?: string }) => {
    if (warning.code === PERMISSIVE || warning.code === UNTRUSTED)
      seen.push({ code: warning.code, message: warning.message })
  }
  process.on('warning', listen)
  try {
    await body()
    await sleep(20) // warnings are emitted on the next tick
  } finally {
    process.off('warning', listen)
  }
  return seen
}

/** Sends three requests with (or without) an X-Forwarded-For header and returns the warnings. */
function warningsOf(ctx: ScenarioContext, spec: Omit<AppSpec, 'global'>, forwardedFor: boolean) {
  const headers: Record<string, string> = forwardedFor ? { 'x-forwarded-for': '198.51.100.7' } : {}
  return proxyWarnings(() =>
    withApp(ctx, { ...spec, global: slow(ctx, 10) }, async (app) => {
      for (let i = 0; i < 3; i++) expect((await hit(app, '/', headers)).status).toBe(200)
    }),
  )
}

export const proxiesScenarios: readonly Scenario[] = [
  {
    id: 'permissive-trust-proxy-warned',
    name: 'MUST warn once (SPILLWAY_PERMISSIVE_TRUST_PROXY, with a docs link) when the app trusts every proxy hop',
    run: async (ctx) => {
      const warnings = await warningsOf(ctx, { trustEveryProxy: true }, true)
      expect(warnings.map((w) => w.code)).toEqual([PERMISSIVE])
      expect(warnings[0]?.message).toContain('@spillway/core/docs/errors.md#spillway_permissive_trust_proxy')
    },
  },
  {
    id: 'permissive-trust-proxy-warned-allow-list',
    name: 'MUST warn (SPILLWAY_PERMISSIVE_TRUST_PROXY) for a policy keyed by a function with an address allowList',
    run: async (ctx) => {
      // The key is the client's own, but the allowList trusts an address the client can write itself.
      const global = slow(ctx, 10, { key: header(ctx, 'x-api-key'), allowList: ['203.0.113.0/24'] })
      const headers = { 'x-api-key': 'alice', 'x-forwarded-for': '198.51.100.7' }
      const warnings = await proxyWarnings(() =>
        withApp(ctx, { trustEveryProxy: true, global }, async (app) => {
          expect((await hit(app, '/', headers)).status).toBe(200)
        }),
      )
      expect(warnings.map((w) => w.code)).toEqual([PERMISSIVE])
      expect(warnings[0]?.message).toContain('allow-listed address')
    },
  },
  {
    id: 'untrusted-forwarded-for-warned',
    name: 'MUST warn once (SPILLWAY_UNTRUSTED_FORWARDED_FOR) when X-Forwarded-For reaches an app that trusts no proxy',
    run: async (ctx) => {
      const warnings = await warningsOf(ctx, {}, true)
      expect(warnings.map((w) => w.code)).toEqual([UNTRUSTED])
      expect(warnings[0]?.message).toContain('@spillway/core/docs/errors.md#spillway_untrusted_forwarded_for')
    },
  },
  {
    id: 'sound-proxy-setups-not-warned',
    name: 'MUST NOT warn for an app that trusts exactly its proxy, nor for one without a proxy header',
    run: async (ctx) => {
      expect(await warningsOf(ctx, { behindProxy: true }, true)).toEqual([])
      expect(await warningsOf(ctx, {}, false)).toEqual([])
    },
  },
]
