// CPU time of a process (all its threads), in microseconds: from the scheduler's ns counters where the
// kernel has them, else from /proc/<pid>/stat's clock ticks.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** Whether this kernel keeps per-thread run time in ns (`/proc/<pid>/task/<tid>/schedstat`). */
export const PRECISE_CPU = existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`)

/**
 * CPU time `pid` has used so far, µs. A tick is 10 ms: at a few thousand requests a second it is more than
 * a microsecond per request, so the ns run time of each thread is summed instead where the kernel keeps it.
 *
 * @example
 * ```ts
 * const before = processCpuUs(server.pid)
 * ```
 */
export function processCpuUs(pid: number): number {
  return PRECISE_CPU ? runTimeUs(pid) : tickCpuUs(pid)
}

/** The sum over the process's threads of the first field of schedstat: ns spent on a CPU. */
function runTimeUs(pid: number): number {
  let ns = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread ended between the listing and the read; its time is lost either way.
    }
  }
  return ns / 1000
}

/** utime + stime from /proc/<pid>/stat, in clock ticks. */
function tickCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks / TICKS_PER_SECOND) * 1e6
}
