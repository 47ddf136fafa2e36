// The bound test's run (shared with bench/hybrid): one key hammered by each process far above its rate.
import type { FleetRun } from './fleet.js'

/** B = 50, R = 100/s, L = S = 500 ms; each process fires ~5 decisions per ms (≈ 50× R), for 3 s. */
export const BOUND_RUN: Omit<FleetRun, 'kind' | 'processes'> = {
  capacity: 50,
  refillPerSecond: 100,
  syncIntervalMs: 500,
  durationMs: 3000,
  perTick: 5,
}
export const WINDOWS_MS = [100, 500, 1000] as const
