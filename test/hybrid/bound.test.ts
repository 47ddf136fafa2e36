// The lease bound with real processes: over every window Δ the fleet admits ≤ B + R·(Δ + L) for N = 1, 2, 4; naive sync breaks it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, randomKeyPrefix, startRedisServer } from '../harness/redis-server.js'
import { BOUND_RUN, WINDOWS_MS } from './bound-run.js'
import {
  exactAdmissions,
  type FleetPool,
  type FleetResult,
  type FleetRun,
  leaseBound,
  maxInWindow,
  startFleetPool,
} from './fleet.js'

let server: RedisServer
let pool: FleetPool
let runs = 0

beforeAll(async () => {
  server = await startRedisServer()
  pool = await startFleetPool(server.port, randomKeyPrefix('bound'), 4)
})

afterAll(async () => {
  await pool?.stop()
  await server?.stop()
})

async function measure(kind: FleetRun['kind'], processes: number): Promise<FleetResult> {
  const result = await pool.run({ ...BOUND_RUN, kind, processes }, `client-${runs++}`)
  const windows = WINDOWS_MS.map(
    (ms) => `Δ=${ms} ms: ${maxInWindow(result.admittedAtMs, ms)} / ${leaseBound(result.run, ms)}`,
  )
  console.info(
    `${kind} N=${processes}: admitted ${result.admittedAtMs.length} of ${result.decisions} decisions ` +
      `(${result.fallbacks} fallback) in ${BOUND_RUN.durationMs} ms; max per window vs bound: ${windows.join(', ')}`,
  )
  return result
}

describe(`lease bound: B=${BOUND_RUN.capacity}, R=${BOUND_RUN.refillPerSecond}/s, L=${BOUND_RUN.syncIntervalMs} ms, real processes on one key`, () => {
  it.each([1, 2, 4])(
    'HybridStore with N = %i processes stays within B + R·(Δ + L) in every window, and does not starve',
    async (n) => {
      const result = await measure('hybrid', n)
      expect(result.fallbacks).toBe(0) // Redis was there all along: every admission came from a lease
      for (const windowMs of WINDOWS_MS) {
        expect(maxInWindow(result.admittedAtMs, windowMs)).toBeLessThanOrEqual(leaseBound(result.run, windowMs))
      }
      // No starvation: the fleet admits close to B + R·t over the run (returns put expired leftovers back).
      const exact = exactAdmissions(result.run, BOUND_RUN.durationMs)
      expect(result.admittedAtMs.length).toBeGreaterThanOrEqual(0.85 * exact)
      expect(result.admittedAtMs.length).toBeLessThanOrEqual(leaseBound(result.run, BOUND_RUN.durationMs))
    },
  )

  it.each([2, 4])(
    'the naive optimistic-sync control with N = %i breaks the same bound (the test can fail)',
    async (n) => {
      const result = await measure('naive', n)
      const exceeded = WINDOWS_MS.filter((ms) => maxInWindow(result.admittedAtMs, ms) > leaseBound(result.run, ms))
      expect(exceeded.length).toBeGreaterThan(0)
    },
  )
})
