// Measures HybridStore for docs/hybrid.md: admitted per window for N = 1, 2, 4 vs the bound vs naive sync, and Redis commands per decision.
// Run from the repository root: node --import tsx bench/hybrid/run.ts [--out docs/hybrid]
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { HybridStore, RedisStore } from '@spillway/redis'
import { connectLimiterClient } from '../../test/harness/redis-client.js'
import { randomKeyPrefix, startRedisServer } from '../../test/harness/redis-server.js'
import { BOUND_RUN, WINDOWS_MS } from '../../test/hybrid/bound-run.js'
import { COST_SCENARIOS } from '../../test/hybrid/cost-scenarios.js'
import { exactAdmissions, type FleetResult, leaseBound, maxInWindow, startFleetPool } from '../../test/hybrid/fleet.js'
import { type CostFigures, commandCalls, measureCost } from '../../test/hybrid/redis-cost.js'
import { type Bar, COLORS, renderBarChart } from '../report/svg.js'

const FLEET_SIZES = [1, 2, 4] as const

/** One fleet run's figures: max admitted per window, and the total against B + R·t. */
interface WindowFigures {
  readonly kind: 'hybrid' | 'naive'
  readonly processes: number
  readonly admitted: number
  readonly exact: number
  readonly decisions: number
  /** Script calls Redis ran during the run (INFO commandstats). */
  readonly scriptCalls: number
  readonly perWindow: { windowMs: number; max: number; bound: number }[]
}

function windowFigures(result: FleetResult, scriptCalls: number): WindowFigures {
  return {
    scriptCalls,
    kind: result.run.kind,
    processes: result.run.processes,
    admitted: result.admittedAtMs.length,
    exact: exactAdmissions(result.run, result.run.durationMs),
    decisions: result.decisions,
    perWindow: WINDOWS_MS.map((windowMs) => ({
      windowMs,
      max: maxInWindow(result.admittedAtMs, windowMs),
      bound: leaseBound(result.run, windowMs),
    })),
  }
}

async function measureWindows(port: number): Promise<WindowFigures[]> {
  const pool = await startFleetPool(port, randomKeyPrefix('bench-bound'), Math.max(...FLEET_SIZES))
  const admin = await connectLimiterClient(port)
  const figures: WindowFigures[] = []
  try {
    for (const kind of ['hybrid', 'naive'] as const) {
      for (const processes of FLEET_SIZES) {
        await admin.config('RESETSTAT')
        const result = await pool.run({ ...BOUND_RUN, kind, processes }, `${kind}-${processes}`)
        const calls = await commandCalls(admin)
        figures.push(windowFigures(result, (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0)))
        console.info(JSON.stringify(figures.at(-1)))
      }
    }
  } finally {
    admin.disconnect()
    await pool.stop()
  }
  return figures
}

async function measureCosts(port: number): Promise<{ store: string; figures: CostFigures }[]> {
  const client = await connectLimiterClient(port)
  const admin = await connectLimiterClient(port)
  const rows: { store: string; figures: CostFigures }[] = []
  try {
    for (const scenario of Object.values(COST_SCENARIOS)) {
      const hybrid = new HybridStore({ client, prefix: randomKeyPrefix('bench-cost') })
      rows.push({ store: 'HybridStore', figures: await measureCost(hybrid, admin, scenario) })
      await hybrid.close()
      const redis = new RedisStore({ client, prefix: randomKeyPrefix('bench-cost') })
      rows.push({ store: 'RedisStore', figures: await measureCost(redis, admin, { ...scenario, warmUpMs: 300 }) })
      console.info(JSON.stringify(rows.slice(-2)))
    }
  } finally {
    client.disconnect()
    admin.disconnect()
  }
  return rows
}

function windowChart(figures: readonly WindowFigures[]): string {
  const bars: Bar[] = []
  for (const windowMs of WINDOWS_MS) {
    for (const f of figures) {
      const w = f.perWindow.find((p) => p.windowMs === windowMs)
      if (w === undefined) continue
      bars.push({
        group: `window Δ = ${windowMs} ms (bound B + R·(Δ + L) = ${w.bound})`,
        label: `${f.kind === 'hybrid' ? 'HybridStore' : 'naive optimistic sync'}, N = ${f.processes}`,
        segments: [{ value: w.max / w.bound, color: f.kind === 'hybrid' ? COLORS.spillway : COLORS.peer }],
        note: `${w.max} / ${w.bound}`,
      })
    }
  }
  return renderBarChart({
    title: `Most admitted in any window, relative to the bound (dashed line = bound): B = ${BOUND_RUN.capacity}, R = ${BOUND_RUN.refillPerSecond}/s, L = ${BOUND_RUN.syncIntervalMs} ms`,
    bars,
    reference: 1,
    legend: [
      { label: 'HybridStore (leases)', color: COLORS.spillway },
      { label: 'naive optimistic sync (negative control)', color: COLORS.peer },
    ],
  })
}

function windowTable(figures: readonly WindowFigures[]): string {
  const head = `| store | N | ${WINDOWS_MS.map((ms) => `max in Δ = ${ms} ms (bound)`).join(' | ')} | admitted in ${BOUND_RUN.durationMs / 1000} s (B + R·t) | decisions | script calls |`
  const rule = `|---|---|${WINDOWS_MS.map(() => '---').join('|')}|---|---|---|`
  const rows = figures.map(
    (f) =>
      `| ${f.kind === 'hybrid' ? 'HybridStore' : 'naive optimistic sync'} | ${f.processes} | ${f.perWindow
        .map((w) => `${w.max} (${w.bound})`)
        .join(' | ')} | ${f.admitted} (${f.exact}) | ${f.decisions} | ${f.scriptCalls} |`,
  )
  return [head, rule, ...rows].join('\n')
}

function costTable(rows: readonly { store: string; figures: CostFigures }[]): string {
  const head = '| scenario | store | decisions | script calls | commands | calls / decision | commands / decision |'
  const rule = '|---|---|---|---|---|---|---|'
  const lines = rows.map(
    ({ store, figures: f }) =>
      `| ${f.label} | ${store} | ${f.decisions} | ${f.scriptCalls} | ${f.commands} | ${f.scriptCallsPerDecision.toFixed(4)} | ${f.commandsPerDecision.toFixed(4)} |`,
  )
  return [head, rule, ...lines].join('\n')
}

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/hybrid' } } })
const out = values.out as string
const server = await startRedisServer()
try {
  const windows = await measureWindows(server.port)
  const costs = await measureCosts(server.port)
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'admitted-per-window.svg'), windowChart(windows))
  writeFileSync(join(out, 'results.json'), `${JSON.stringify({ run: BOUND_RUN, windows, costs }, null, 2)}\n`)
  const tables = `${windowTable(windows)}\n\n${costTable(costs)}\n`
  writeFileSync(join(out, 'tables.md'), tables)
  console.info(`\n${tables}`)
} finally {
  await server.stop()
}
