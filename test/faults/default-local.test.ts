// The defaults alone keep limiting when Redis dies: a plain RedisStore passed to each adapter, no failure options.
import { DEFAULT_TIMEOUT_MS } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningApp, sleep } from '../conformance/app-factory.js'
import { connectLimiterClient } from '../harness/redis-client.js'
import { randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import {
  ADAPTERS,
  closeAll,
  HOT,
  MARGIN_MS,
  RECOMMENDED_CLIENT_OPTIONS,
  slowest,
  startLoad,
  unexpected,
} from './failover-kit.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe("onStoreError: 'local' is the default for a RedisStore", () => {
  it('SIGKILL: zero 5xx, no request past the budget, and the over-limit client keeps getting 429s', async () => {
    const server = await startRedisServer()
    cleanups.push(() => server.stop().catch(() => {}))
    const client = await connectLimiterClient(server.port, RECOMMENDED_CLIENT_OPTIONS)
    client.on('error', () => {})
    cleanups.push(() => client.disconnect())
    const store = new RedisStore({ client, prefix: randomKeyPrefix('default-local') })
    const apps: Array<{ adapter: string; app: RunningApp }> = []
    for (const factory of ADAPTERS) {
      const key = (request: unknown) => `${factory.name}:${factory.headerOf(request, 'x-client') ?? 'anon'}`
      // Only the policy and the store: every failure setting is left at its default.
      const app = await factory.build({
        routes: { '/hot': { ...HOT, store, key }, '/counted': { ...HOT, store, key } },
      })
      apps.push({ adapter: factory.name, app })
    }
    cleanups.push(() => closeAll(apps))

    const load = startLoad(apps)
    await sleep(500)
    await server.kill()
    const killedAt = performance.now()
    await sleep(2000)
    const samples = await load.stop()
    const outage = samples.filter((s) => s.at >= killedAt && s.path === '/hot')

    expect(unexpected(samples)).toEqual([])
    expect(slowest(outage)).toBeLessThan(DEFAULT_TIMEOUT_MS + MARGIN_MS)
    // D as measured, from the kill to the last answer: however long a loaded machine made it.
    const outageMs = Math.max(...outage.map((s) => s.at + s.ms)) - killedAt
    for (const { name } of ADAPTERS) {
      const hot = outage.filter((s) => s.adapter === name)
      expect(hot.length, name).toBeGreaterThan(10)
      expect(hot.filter((s) => s.status === 429).length, name).toBeGreaterThan(hot.length / 2)
      // The local share of one process (N = 1) is the whole limit: at most B + R·D during the outage.
      expect(hot.filter((s) => s.status === 200).length, name).toBeLessThanOrEqual(
        HOT.capacity + (HOT.refillRate * outageMs) / 1000 + 1,
      )
    }
  }, 20_000)
})
