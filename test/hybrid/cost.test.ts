// Redis commands per decision at steady state: a hot key, many warm keys, an abusive key (always rejected), vs RedisStore.
import { HybridStore, RedisStore } from '@spillway/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectLimiterClient } from '../harness/redis-client.js'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { COST_SCENARIOS } from './cost-scenarios.js'
import { type CostFigures, type CostScenario, measureCost } from './redis-cost.js'

let server: RedisServer
let client: Redis
let admin: Redis

beforeAll(async () => {
  server = await startRedisServer()
  client = await connectLimiterClient(server.port)
  admin = await connectLimiterClient(server.port)
})

afterAll(async () => {
  client?.disconnect()
  admin?.disconnect()
  await server?.stop()
})

function log(store: string, f: CostFigures): void {
  console.info(
    `${store}, ${f.label}: ${f.decisions} decisions (${f.admitted} admitted), ${f.scriptCalls} script calls, ` +
      `${f.commands} commands → ${f.scriptCallsPerDecision.toFixed(5)} calls and ${f.commandsPerDecision.toFixed(5)} commands per decision`,
  )
}

async function measureHybrid(scenario: CostScenario): Promise<CostFigures> {
  const store = new HybridStore({ client, prefix: randomKeyPrefix('cost') })
  try {
    const figures = await measureCost(store, admin, scenario)
    log('HybridStore', figures)
    return figures
  } finally {
    await store.close()
  }
}

describe('Redis commands per decision at steady state (INFO commandstats, one process, syncIntervalMs 1000)', () => {
  it('a hot key: below 0.01 script calls and commands per decision, every decision admitted', async () => {
    const figures = await measureHybrid(COST_SCENARIOS.hot)
    expect(figures.admitted).toBe(figures.decisions)
    expect(figures.scriptCallsPerDecision).toBeLessThan(0.01)
    expect(figures.commandsPerDecision).toBeLessThan(0.01)
  })

  it('an abusive key, always rejected: below 0.01 script calls per decision, and it still gets about R', async () => {
    const figures = await measureHybrid(COST_SCENARIOS.abusive)
    expect(figures.scriptCallsPerDecision).toBeLessThan(0.01)
    const rate = COST_SCENARIOS.abusive.policy.refillRatePerSecond
    const seconds = COST_SCENARIOS.abusive.measureMs / 1000
    // Whatever the demand, about one call per token the bucket makes (plus the sync): R calls per second.
    expect(figures.scriptCalls).toBeLessThanOrEqual(1.5 * rate * seconds + 2 * seconds)
    expect(figures.admitted).toBeGreaterThanOrEqual(0.7 * rate * seconds)
    expect(figures.admitted).toBeLessThanOrEqual(rate * (seconds + 1) + 1)
  })

  it('many warm keys: leases batched, fewer script calls than decisions', async () => {
    const figures = await measureHybrid(COST_SCENARIOS.warm)
    expect(figures.scriptCallsPerDecision).toBeLessThan(0.5)
  })

  it('RedisStore on the hot key, for comparison: one batched call per tick', async () => {
    const store = new RedisStore({ client, prefix: randomKeyPrefix('cost-redis') })
    const figures = await measureCost(store, admin, { ...COST_SCENARIOS.hot, warmUpMs: 200 })
    log('RedisStore', figures)
    expect(figures.scriptCallsPerDecision).toBeGreaterThan(0.01)
  })
})
