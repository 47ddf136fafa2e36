// burstCapacity: B = ⌊R × burstSeconds⌋, at least 1, and a bucket built with it admits exactly that burst.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CHART_PATH, renderBurstChart, simulate } from '../../../bench/burst-chart.js'
import { burstCapacity, createLimiter, MemoryStore, SpillwayConfigError } from '../src/index.js'

describe('burstCapacity', () => {
  it('is the rate times the seconds of burst, rounded down, never below 1', () => {
    expect(burstCapacity({ refillRate: 10, burstSeconds: 3 })).toBe(30)
    expect(burstCapacity({ refillRate: { tokens: 600, per: '1m' }, burstSeconds: 3 })).toBe(30)
    expect(burstCapacity({ refillRate: 0.1, burstSeconds: 30 })).toBe(3) // 3.0000000000000004 in floats
    expect(burstCapacity({ refillRate: 7, burstSeconds: 0.5 })).toBe(3)
    expect(burstCapacity({ refillRate: { tokens: 5, per: '1m' }, burstSeconds: 2 })).toBe(1)
  })

  it('gives a bucket whose burst after a long idle time is that many requests, then R per second', async () => {
    const clock = { nowUs: 0 }
    const refillRate = { tokens: 600, per: '1m' }
    const capacity = burstCapacity({ refillRate, burstSeconds: 3 })
    const limiter = createLimiter({ capacity, refillRate, store: new MemoryStore({ clock: () => clock.nowUs }) })
    let admitted = 0
    for (let i = 0; i < 100; i++) if ((await limiter.consume('k')).allowed) admitted++
    expect(admitted).toBe(30)
    clock.nowUs += 1_000_000
    admitted = 0
    for (let i = 0; i < 100; i++) if ((await limiter.consume('k')).allowed) admitted++
    expect(admitted).toBe(10)
  })

  it('rejects what it cannot size, naming the option', () => {
    for (const [options, option] of [
      [{ refillRate: 10, burstSeconds: 0 }, 'burstSeconds'],
      [{ refillRate: 10, burstSeconds: Number.POSITIVE_INFINITY }, 'burstSeconds'],
      [{ refillRate: -1, burstSeconds: 1 }, 'refillRate'],
      [{ refillRate: 10, burstSeconds: 1, capacity: 3 }, 'capacity'],
    ] as const) {
      const size = () => burstCapacity(options as never)
      expect(size).toThrow(SpillwayConfigError)
      expect(size).toThrow(expect.objectContaining({ option }))
    }
  })
})

describe('docs/burst-chart.svg (bench/burst-chart.ts)', () => {
  it('is what the script draws now, and shows what docs/failure-modes.md says it shows', () => {
    const series = simulate()
    expect(readFileSync(CHART_PATH, 'utf8'), 'run: node --import tsx bench/burst-chart.ts').toBe(
      renderBurstChart(series),
    )
    const [fixed, bucket, sized] = series.map((s) => s.maxIn10s)
    // The boundary burst: 100 at the end of one minute, 100 at the start of the next — twice the quota.
    expect(fixed).toBe(200)
    // A token bucket never admits more than B + R·Δ in any window Δ (here 10 s at 100/min).
    expect(bucket).toBeLessThanOrEqual(100 + (100 / 60) * 10)
    expect(sized).toBeLessThanOrEqual(10 + (100 / 60) * 10)
  })
})
