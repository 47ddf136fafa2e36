// The redis-server harness itself: a clear error without redis-server, pause/resume, stop and kill by pid.
// (The cluster harness's kill, restart, pause and stop are exercised by cluster.test.ts.)
import { Redis } from 'ioredis'
import { afterEach, expect, it } from 'vitest'
import { startRedisCluster } from '../harness/redis-cluster.js'
import {
  REDIS_CLI_NOT_FOUND,
  REDIS_SERVER_NOT_FOUND,
  type RedisServer,
  startRedisServer,
} from '../harness/redis-server.js'

let server: RedisServer | undefined

afterEach(async () => {
  await server?.stop()
  server = undefined
})

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

it('throws a clear error, never skips, when redis-server is not on PATH', async () => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  try {
    await expect(startRedisServer()).rejects.toThrow(REDIS_SERVER_NOT_FOUND)
  } finally {
    process.env.PATH = path
  }
  expect(REDIS_SERVER_NOT_FOUND).toContain('apt-get install -y redis-server')
})

it('throws a clear error, never skips, when redis-cli is not on PATH (cluster harness)', async () => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  try {
    await expect(startRedisCluster()).rejects.toThrow(REDIS_CLI_NOT_FOUND)
  } finally {
    process.env.PATH = path
  }
})

it('pauses (no answer) and resumes a server, then stops it by pid', async () => {
  server = await startRedisServer()
  expect(server.url).toBe(`redis://127.0.0.1:${server.port}`)
  const client = new Redis(server.url, { commandTimeout: 100, maxRetriesPerRequest: 0, lazyConnect: true })
  await client.connect()
  server.pause()
  await expect(client.ping()).rejects.toThrow(/timed out/i)
  server.resume()
  expect(await client.ping()).toBe('PONG')
  client.disconnect()
  const { pid } = server
  await server.stop()
  expect(isAlive(pid)).toBe(false)
})

it('kills a paused server', async () => {
  server = await startRedisServer()
  server.pause()
  await server.kill()
  expect(isAlive(server.pid)).toBe(false)
})
