// Failover through every adapter on a real redis-server: SIGKILL + empty restart, SIGSTOP, CLIENT PAUSE, SCRIPT FLUSH.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPolicy, describeDecision, storeKey } from '@spillway/core/store'
import { RedisStore } from '@spillway/redis'
import { afterEach, describe, expect, it } from 'vitest'
import { sleep } from '../conformance/app-factory.js'
import { connectLimiterClient } from '../harness/redis-client.js'
import { freePort, randomKeyPrefix, redisExecutable, spawnRedisServer } from '../harness/redis-server.js'
import {
  ADAPTERS,
  between,
  buildApps,
  COUNTED,
  closeAll,
  commandQueueLength,
  HOT,
  MARGIN_MS,
  RECOMMENDED_CLIENT_OPTIONS,
  resilientOver,
  type Sample,
  slowest,
  startLoad,
  TIMEOUT_MS,
  unexpected,
} from './failover-kit.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const executable = () => redisExecutable('redis-server')
const countedPolicy = createPolicy(COUNTED)

async function setUp(label: string) {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-failover-'))
  const port = await freePort()
  const server = { current: await spawnRedisServer({ executable: executable(), port, dir }) }
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  cleanups.push(() => server.current.stop())
  const client = await connectLimiterClient(port, RECOMMENDED_CLIENT_OPTIONS)
  client.on('error', () => {})
  cleanups.push(() => client.disconnect())
  const redisStore = new RedisStore({ client, prefix: randomKeyPrefix(label) })
  const resilientStore = resilientOver(redisStore)
  const apps = await buildApps(resilientStore.store)
  cleanups.push(() => closeAll(apps))
  return { dir, port, server, client, redisStore, ...resilientStore, apps }
}

/** Every adapter's over-limit client kept getting 429s during the outage, and was admitted at most B + R·D (+1). */
function expectLimitedDuring(samples: readonly Sample[], durationMs: number) {
  for (const { name } of ADAPTERS) {
    const hot = samples.filter((s) => s.adapter === name && s.path === '/hot')
    expect(hot.length, name).toBeGreaterThan(20)
    expect(hot.filter((s) => s.status === 429).length, name).toBeGreaterThan(hot.length / 2)
    const admitted = hot.filter((s) => s.status === 200).length
    console.log(`[failover] ${name}: hot client admitted ${admitted} of ${hot.length} in ${Math.round(durationMs)} ms`)
    expect(admitted, name).toBeLessThanOrEqual(HOT.capacity + (HOT.refillRate * durationMs) / 1000 + 1)
  }
}

/** The counted client's tokens in Redis now: taken exactly once per call that reached it (none twice, none lost). */
async function expectCountedOnce(ctx: Awaited<ReturnType<typeof setUp>>, since: Map<string, number> = new Map()) {
  for (const { name } of ADAPTERS) {
    const key = storeKey(COUNTED.name, `${name}:counted`)
    const step = await ctx.redisStore.consume(key, countedPolicy, 1)
    const { remaining } = describeDecision(countedPolicy, step, 1)
    const sent = (ctx.calls.sent.get(key) ?? 0) - (since.get(`sent:${key}`) ?? 0)
    const answered = (ctx.calls.answered.get(key) ?? 0) - (since.get(`answered:${key}`) ?? 0)
    expect(answered, name).toBeGreaterThan(5)
    // Each call sent is applied at most once (no resend); each call answered was applied.
    expect(remaining, name).toBeGreaterThanOrEqual(COUNTED.capacity - 1 - sent)
    expect(remaining, name).toBeLessThanOrEqual(COUNTED.capacity - 1 - answered)
  }
}

function snapshot(ctx: Awaited<ReturnType<typeof setUp>>): Map<string, number> {
  const copy = new Map<string, number>()
  for (const [key, n] of ctx.calls.sent) copy.set(`sent:${key}`, n)
  for (const [key, n] of ctx.calls.answered) copy.set(`answered:${key}`, n)
  return copy
}

/** Redis decides again soon after `from`, and the fallback stops once it does. */
function expectBackOnRedis(ctx: Awaited<ReturnType<typeof setUp>>, from: number, withinMs: number) {
  const back = ctx.transitions.find((t) => t.to === 'closed' && t.at > from)?.at
  expect(back, 'the circuit did not close after the outage').toBeDefined()
  expect((back as number) - from).toBeLessThan(withinMs)
  const late = ctx.fallbackAt.flatMap((t, i) => (t > (back as number) + 100 ? [String(ctx.fallbackErrors[i])] : []))
  // A Redis answer past the budget on a loaded machine may still fall back alone, now and then.
  expect(late.length, late.join('; ')).toBeLessThanOrEqual(3)
  expect(ctx.store.stateOf()).toBe('closed')
  return (back as number) - from
}

/** Runs load for `beforeMs`, calls `fail`, waits `outageMs`, calls `recover`, runs `afterMs`; returns the phases. */
async function outage(
  ctx: Awaited<ReturnType<typeof setUp>>,
  steps: { fail(): Promise<void> | void; recover(): Promise<void> | void; outageMs: number },
) {
  const load = startLoad(ctx.apps)
  await sleep(1200)
  const failedAt = performance.now()
  await steps.fail()
  await sleep(steps.outageMs)
  const recoverAt = performance.now()
  const before = snapshot(ctx)
  await steps.recover()
  const recoveredAt = performance.now()
  await sleep(2500)
  const samples = await load.stop()
  return { samples, failedAt, recoverAt, recoveredAt, before }
}

const report = (label: string, figures: Record<string, unknown>) => console.log(`[failover] ${label}`, figures)

describe('a resilient RedisStore through Express, Fastify and Koa', () => {
  it('SIGKILL under load, then a restart on the same port with no data: no 5xx, limited meanwhile, back on Redis, buckets full', async () => {
    const ctx = await setUp('kill')
    const run = await outage(ctx, {
      fail: () => ctx.server.current.kill(),
      recover: async () => {
        ctx.server.current = await spawnRedisServer({ executable: executable(), port: ctx.port, dir: ctx.dir })
      },
      outageMs: 2500,
    })
    expect(unexpected(run.samples)).toEqual([])
    expect(slowest(run.samples)).toBeLessThan(TIMEOUT_MS + MARGIN_MS)
    expectLimitedDuring(between(run.samples, run.failedAt, run.recoverAt), run.recoverAt - run.failedAt)
    const backMs = expectBackOnRedis(ctx, run.recoveredAt, 3000)
    // The restarted server lost every bucket: the counted buckets start full again (only the calls since count).
    await expectCountedOnce(ctx, run.before)
    expect(ctx.transitions.map((t) => t.to).slice(0, 1)).toEqual(['open'])
    report('SIGKILL', {
      requests: run.samples.length,
      slowestMs: Math.round(slowest(run.samples)),
      backOnRedisMs: Math.round(backMs),
      transitions: ctx.transitions.map((t) => t.to).join(' '),
    })
  }, 20_000)

  it('SIGSTOP for 3 s: every request within the budget, limited meanwhile, back on Redis, nothing counted twice', async () => {
    const ctx = await setUp('stop')
    const queue: number[] = []
    const sampler = setInterval(() => queue.push(commandQueueLength(ctx.client)), 50)
    cleanups.push(() => clearInterval(sampler))
    const run = await outage(ctx, {
      fail: () => ctx.server.current.pause(),
      recover: () => ctx.server.current.resume(),
      outageMs: 3000,
    })
    clearInterval(sampler)
    expect(unexpected(run.samples)).toEqual([])
    expect(slowest(run.samples)).toBeLessThan(TIMEOUT_MS + MARGIN_MS)
    expectLimitedDuring(between(run.samples, run.failedAt, run.recoverAt), run.recoverAt - run.failedAt)
    const backMs = expectBackOnRedis(ctx, run.recoveredAt, 3000)
    await expectCountedOnce(ctx)
    // The breaker sent nothing while open: the client's queue stayed a handful of commands.
    expect(Math.max(...queue)).toBeLessThanOrEqual(20)
    report('SIGSTOP 3 s', {
      requests: run.samples.length,
      slowestMs: Math.round(slowest(run.samples)),
      backOnRedisMs: Math.round(backMs),
      maxCommandQueue: Math.max(...queue),
      transitions: ctx.transitions.map((t) => t.to).join(' '),
    })
  }, 20_000)

  it('CLIENT PAUSE 3 s: the same, and the paused commands run once when it ends', async () => {
    const ctx = await setUp('pause')
    const admin = await connectLimiterClient(ctx.port)
    cleanups.push(() => admin.disconnect())
    const run = await outage(ctx, {
      fail: async () => void (await admin.call('CLIENT', 'PAUSE', '3000', 'ALL')),
      recover: () => {}, // the pause ends by itself
      outageMs: 3000,
    })
    expect(unexpected(run.samples)).toEqual([])
    expect(slowest(run.samples)).toBeLessThan(TIMEOUT_MS + MARGIN_MS)
    expectLimitedDuring(between(run.samples, run.failedAt + 200, run.recoverAt), run.recoverAt - run.failedAt)
    const backMs = expectBackOnRedis(ctx, run.recoveredAt, 3000)
    await expectCountedOnce(ctx)
    report('CLIENT PAUSE 3 s', { requests: run.samples.length, backOnRedisMs: Math.round(backMs) })
  }, 20_000)

  it('SCRIPT FLUSH under load is transparent: every decision stays on Redis', async () => {
    const ctx = await setUp('flush')
    const admin = await connectLimiterClient(ctx.port)
    cleanups.push(() => admin.disconnect())
    const load = startLoad(ctx.apps)
    for (let i = 0; i < 4; i++) {
      await sleep(400)
      await admin.script('FLUSH')
    }
    await sleep(400)
    const samples = await load.stop()
    expect(unexpected(samples)).toEqual([])
    expect(ctx.fallbackAt).toEqual([])
    expect(ctx.transitions).toEqual([])
    await expectCountedOnce(ctx)
  }, 20_000)
})
