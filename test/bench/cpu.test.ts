// bench/cpu.ts: a process's CPU time, read from /proc as the bench reads its server's.
import { describe, expect, it } from 'vitest'
import { PRECISE_CPU, processCpuUs } from '../../bench/cpu.js'

/** Spins until this process has used `ms` more of CPU time (a busy machine may deschedule it meanwhile). */
function spin(ms: number): void {
  const before = process.cpuUsage()
  const used = () => {
    const { user, system } = process.cpuUsage(before)
    return user + system
  }
  while (used() < ms * 1000) {}
}

describe('processCpuUs', () => {
  it('reads per-thread ns run time on this kernel, not 10 ms clock ticks', () => {
    expect(PRECISE_CPU).toBe(true)
  })

  it("agrees with the process's own getrusage over a busy stretch", () => {
    const before = processCpuUs(process.pid)
    const usageBefore = process.cpuUsage()
    spin(200)
    const measured = processCpuUs(process.pid) - before
    const usage = process.cpuUsage(usageBefore)
    const own = usage.user + usage.system
    expect(own).toBeGreaterThan(50_000)
    // Both count every thread of the process; they differ by what ran between the reads.
    expect(Math.abs(measured - own)).toBeLessThan(own * 0.2)
  })

  it('resolves less than one clock tick (10 ms): 2 ms of CPU shows as about 2 ms, not 0 or 10', () => {
    const before = processCpuUs(process.pid)
    spin(2)
    const measured = processCpuUs(process.pid) - before
    expect(measured).toBeGreaterThan(1_500)
    expect(measured).toBeLessThan(9_000)
  })
})
