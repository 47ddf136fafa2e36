// FleetHeartbeat on a real redis-server: three processes count each other, leave, go stale, and N survives an outage.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FleetHeartbeat,
  heartbeatScript,
  heartbeatScriptSha1,
  startFleetHeartbeat,
} from '../../packages/redis/src/fleet-heartbeat.js'
import { connectLimiterClient } from '../harness/redis-client.js'
import {
  freePort,
  type RedisServer,
  randomKeyPrefix,
  redisExecutable,
  spawnRedisServer,
  startRedisServer,
} from '../harness/redis-server.js'

let redis: RedisServer
let client: Redis

beforeAll(async () => {
  redis = await startRedisServer()
  client = await connectLimiterClient(redis.port)
  client.on('error', () => {})
})

afterAll(async () => {
  client?.disconnect()
  await redis?.stop()
})

const INTERVAL_MS = 100

/** Beats until `heartbeat` reports `n` (each beat is one round trip), or fails after 3 s. */
async function until(heartbeat: FleetHeartbeat, n: number): Promise<void> {
  const deadline = Date.now() + 3000
  while ((await heartbeat.beat()) !== n) {
    if (Date.now() > deadline) expect.fail(`fleet size stayed ${heartbeat.fleetSize()}, expected ${n}`)
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS / 2))
  }
}

describe('startFleetHeartbeat', () => {
  it('exports the SHA1 that SCRIPT LOAD computes', async () => {
    expect(await client.script('LOAD', heartbeatScript)).toBe(heartbeatScriptSha1)
  })

  it('counts three processes, drops one that leaves, and one that stops beating after 3 intervals', async () => {
    const key = randomKeyPrefix('fleet')
    const others = [await connectLimiterClient(redis.port), await connectLimiterClient(redis.port)]
    for (const other of others) other.on('error', () => {})
    const beats = [client, ...others].map((c) => startFleetHeartbeat({ client: c, key, intervalMs: INTERVAL_MS }))
    const [first, second, third] = beats as [FleetHeartbeat, FleetHeartbeat, FleetHeartbeat]
    expect(first.fleetSize()).toBe(1) // before the first answer: initialFleetSize
    await until(first, 3)
    expect(await client.zcard(key)).toBe(3)

    await second.close()
    expect(await client.zcard(key)).toBe(2)
    await until(first, 2)
    await until(third, 2)

    others[1]?.disconnect() // the third process "crashes": no close(), its beats stop
    await until(first, 1)
    expect(third.fleetSize()).toBe(2) // a process that cannot reach Redis keeps its last N
    await third.close()
    await first.close()
    expect(await client.exists(key)).toBe(0)
    others[0]?.disconnect()
  })

  it('keeps the last N while Redis is down, reports the errors, and learns again after a restart that lost everything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-fleet-'))
    const executable = redisExecutable('redis-server')
    const server = await spawnRedisServer({ executable, port: await freePort(), dir })
    const c1 = await connectLimiterClient(server.port)
    const c2 = await connectLimiterClient(server.port)
    for (const c of [c1, c2]) c.on('error', () => {})
    const errors: unknown[] = []
    const key = randomKeyPrefix('outage')
    const a = startFleetHeartbeat({ client: c1, key, intervalMs: INTERVAL_MS, onError: (e) => errors.push(e) })
    const b = startFleetHeartbeat({ client: c2, key, intervalMs: INTERVAL_MS })
    await until(a, 2)
    await server.kill()
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 4))
    expect(a.fleetSize()).toBe(2)
    expect(errors.length).toBeGreaterThan(0)
    const restarted = await spawnRedisServer({ executable, port: server.port, dir, removeDirOnExit: true })
    await until(a, 2) // both beat again into the new, empty server
    await Promise.all([a.close(), b.close()])
    c1.disconnect()
    c2.disconnect()
    await restarted.stop()
  }, 15_000)

  it.each([
    [{}, 'FleetHeartbeat.client', 'ERR_SPILLWAY_MISSING_OPTION'],
    [{ intervalMs: 0 }, 'FleetHeartbeat.intervalMs', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ key: '' }, 'FleetHeartbeat.key', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ initialFleetSize: 0.5 }, 'FleetHeartbeat.initialFleetSize', 'ERR_SPILLWAY_INVALID_OPTION'],
    [{ every: 1000 }, 'FleetHeartbeat.every', 'ERR_SPILLWAY_UNKNOWN_OPTION'],
  ])('rejects %j', (options, option, code) => {
    const withClient = 'client' in options || Object.keys(options).length === 0 ? options : { client, ...options }
    expect(() => startFleetHeartbeat(withClient as never)).toThrow(expect.objectContaining({ option, code }))
  })
})
