// HybridStore options and lifecycle: coded config errors, the key space shared with RedisStore, no decisions after close.
import { type HybridSyncEvent, SpillwayConfigError, subscribeSpillwayEvents } from '@spillway/core'
import { createPolicy } from '@spillway/core/store'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromSeparateCallbacks, whileRedisBusy } from '../../../test/harness/redis-busy.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../../../test/harness/redis-server.js'
import { HybridStore, RedisStore } from '../src/index.js'

describe('HybridStore options and lifecycle', () => {
  let server: RedisServer
  let client: Redis

  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.port, '127.0.0.1', {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    })
    await client.connect()
  })

  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })

  const configError = (make: () => unknown) => {
    try {
      make()
    } catch (error) {
      expect(error).toBeInstanceOf(SpillwayConfigError)
      return error as SpillwayConfigError
    }
    throw new Error('no error thrown')
  }

  it('rejects bad options with a coded error naming the HybridStore option', () => {
    expect(configError(() => new HybridStore({ client, syncIntervalMs: 5 }))).toMatchObject({
      code: 'ERR_SPILLWAY_INVALID_OPTION',
      option: 'HybridStore.syncIntervalMs',
    })
    expect(configError(() => new HybridStore({ client, syncIntervalMs: 100, timeoutMs: 200 }))).toMatchObject({
      option: 'HybridStore.timeoutMs',
    })
    expect(configError(() => new HybridStore({ client, prefix: 'a{b}' }))).toMatchObject({
      code: 'ERR_SPILLWAY_INVALID_OPTION',
      option: 'HybridStore.prefix',
    })
    const missing = configError(() => new HybridStore({} as never))
    expect(missing).toMatchObject({ code: 'ERR_SPILLWAY_MISSING_OPTION', option: 'HybridStore.client' })
    expect(missing.message).toMatch(/^\[spillway\] HybridStore\.client is required/)
    expect(configError(() => new HybridStore({ client, sync: 1 } as never))).toMatchObject({
      code: 'ERR_SPILLWAY_UNKNOWN_OPTION',
      option: 'HybridStore.sync',
    })
  })

  it('shares its key space with a RedisStore on the same client and prefix, and rejects decisions after close()', async () => {
    const prefix = randomKeyPrefix('hybrid')
    const store = new HybridStore({ client, prefix })
    expect(store.keySpace).toBe(new RedisStore({ client, prefix }).keySpace)
    expect(store.keySpace).not.toBe(new RedisStore({ client, prefix: `${prefix}other:` }).keySpace)
    const policy = createPolicy({ name: 'p', capacity: 2, refillRate: 1 })
    expect((await store.consume('p:{a}', policy, 1)).allowed).toBe(true)
    await store.close()
    await expect(store.consume('p:{a}', policy, 1)).rejects.toThrow(/closed/)
  })

  it('sends the keys of separate callbacks (as of requests on separate sockets) in one call while a call is in flight', async () => {
    const store = new HybridStore({ client, prefix: randomKeyPrefix('hybrid-join'), syncIntervalMs: 5_000 })
    const events: HybridSyncEvent[] = []
    try {
      const policy = createPolicy({ name: 'p', capacity: 5, refillRate: 1 })
      expect((await store.consume('p:{warm}', policy, 1)).allowed).toBe(true) // the start-up beat is answered
      const stop = subscribeSpillwayEvents({ hybridSync: (event) => events.push(event) })
      try {
        // Redis busy for 50 ms on another connection: the first key's call stays in flight meanwhile.
        await whileRedisBusy(server.port, 50, () => {
          const first = store.consume('p:{a}', policy, 1)
          const later = fromSeparateCallbacks(3, (i) => store.consume(`p:{${'bcd'[i]}}`, policy, 1))
          return Promise.all([first, later])
        })
      } finally {
        stop()
      }
      // One call for a, one for b, c and d together; at the end of each callback's tick it would be four.
      expect(events.filter(({ keys }) => keys > 0).map(({ keys }) => keys)).toEqual([1, 3])
    } finally {
      await store.close()
    }
  })

  it('publishes each sync call on spillway:hybrid-sync: keys, duration, result and N', async () => {
    const events: HybridSyncEvent[] = []
    const stop = subscribeSpillwayEvents({ hybridSync: (event) => events.push(event) })
    const store = new HybridStore({ client, prefix: randomKeyPrefix('hybrid-events'), syncIntervalMs: 100 })
    try {
      const policy = createPolicy({ name: 'p', capacity: 5, refillRate: 1 })
      expect((await store.consume('p:{a}', policy, 1)).allowed).toBe(true)
      const deadline = Date.now() + 5_000
      while (!events.some(({ keys }) => keys > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(events.find(({ keys }) => keys > 0)).toMatchObject({ store: 'hybrid', ok: true, fleetSize: 1 })
      expect(events.every(({ durationMs }) => durationMs >= 0)).toBe(true)
    } finally {
      stop()
      await store.close()
    }
  })
})
