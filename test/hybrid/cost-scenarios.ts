// The load patterns of the cost test and bench/hybrid: a hot key, many warm keys, an abusive key.
import { createPolicy } from '@spillway/core/store'
import type { CostScenario } from './redis-cost.js'

const WARM_KEYS = 500

/** The scenarios of docs/hybrid.md; each process-local demand is ~1 decision per `perTick` per ms. */
export const COST_SCENARIOS: Record<'hot' | 'warm' | 'abusive', CostScenario> = {
  hot: {
    label: 'hot key (under its limit)',
    policy: createPolicy({ name: 'hot', capacity: 100_000, refillRate: 100_000 }),
    perTick: 20,
    keyAt: () => 'hot',
    warmUpMs: 1200,
    measureMs: 2000,
  },
  warm: {
    label: `${WARM_KEYS} warm keys (~9/s each, limit 10/s)`,
    policy: createPolicy({ name: 'warm', capacity: 20, refillRate: 10 }),
    perTick: 5,
    keyAt: (tick, i) => `warm-${(tick * 5 + i) % WARM_KEYS}`,
    warmUpMs: 1200,
    measureMs: 2000,
  },
  abusive: {
    label: 'abusive key (B = 100, R = 50/s, demand ~50 per ms)',
    policy: createPolicy({ name: 'abusive', capacity: 100, refillRate: 50 }),
    perTick: 50,
    keyAt: () => 'abuser',
    warmUpMs: 1200,
    measureMs: 2000,
  },
}
