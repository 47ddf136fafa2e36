// RedisStore through every supported client kind on a private redis-server: the store suite, unsafe-setting warnings, rejection of others.
import { SpillwayConfigError } from '@spillway/core'
import { RedisStore, type RedisStoreOptions } from '@spillway/redis'
import { Redis as Valkey } from 'iovalkey'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adaptClient } from '../../packages/redis/src/script-runner.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { testStore } from '../harness/store-suite.js'
import { CLIENT_KINDS, type ConnectedClient, connectClient } from './client-kinds.js'

let server: RedisServer
const clients = new Map<string, ConnectedClient>()

beforeAll(async () => {
  server = await startRedisServer()
  for (const kind of CLIENT_KINDS) clients.set(kind, await connectClient(kind, server.port))
})

afterAll(async () => {
  for (const connected of clients.values()) await connected.close()
  await server?.stop()
})

const clientOf = (kind: string) => clients.get(kind)?.client as RedisStoreOptions['client']

for (const kind of CLIENT_KINDS) {
  for (const batch of [true, false]) {
    testStore(
      `RedisStore via ${kind}${batch ? '' : ', batch: false'}`,
      () => new RedisStore({ client: clientOf(kind), prefix: randomKeyPrefix('kinds'), batch }),
    )
  }
}

describe('RedisStore client kinds', () => {
  it('adapts each kind to its runner: ioredis and iovalkey positional, node-redis with keys/arguments', () => {
    expect(CLIENT_KINDS.map((kind) => adaptClient(clientOf(kind)).kind)).toEqual([
      'ioredis',
      'ioredis',
      'ioredis',
      'node-redis',
    ])
    expect(CLIENT_KINDS.map((kind) => adaptClient(clientOf(kind)).isCluster)).toEqual([false, false, false, false])
    expect(adaptClient(clientOf('node-redis'))).toBe(adaptClient(clientOf('node-redis'))) // one runner per client
  })

  it('rejects anything else with ERR_SPILLWAY_INVALID_OPTION naming RedisStore.client', () => {
    const fakes: unknown[] = [{}, { get() {}, set() {} }, 'redis://127.0.0.1', { evalsha: () => {} }, () => {}]
    for (const client of fakes) {
      let thrown: unknown
      try {
        new RedisStore({ client } as unknown as RedisStoreOptions)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(SpillwayConfigError)
      expect(thrown).toMatchObject({ code: 'ERR_SPILLWAY_INVALID_OPTION', option: 'RedisStore.client' })
      expect((thrown as Error).message).toMatch(/ioredis.*node-redis/)
    }
  })

  it('warns once per unsafe client of each kind, naming that kind’s safe settings, never for a safe one', async () => {
    const warnings: Array<Error & { code?: string }> = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const unsafeValkey = new Valkey(server.port, '127.0.0.1', { lazyConnect: true })
    const unsafeNodeRedis = createClient({ socket: { host: '127.0.0.1', port: server.port } })
    for (const client of [unsafeValkey, unsafeNodeRedis, unsafeValkey, unsafeNodeRedis]) {
      new RedisStore({ client })
    }
    for (const kind of CLIENT_KINDS) new RedisStore({ client: clientOf(kind) })
    await new Promise((resolve) => setTimeout(resolve, 10))
    process.off('warning', onWarning)
    unsafeValkey.disconnect()
    expect(warnings.map((warning) => warning.code)).toEqual(['SPILLWAY_REDIS_REPLAY', 'SPILLWAY_REDIS_REPLAY'])
    expect(warnings[0]?.message).toContain('enableOfflineQueue: false')
    expect(warnings[1]?.message).toContain('createClient({ disableOfflineQueue: true })')
  })
})
