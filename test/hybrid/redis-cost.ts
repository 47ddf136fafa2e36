// Measures Redis commands per decision at steady state (INFO commandstats of a private server) for one demand pattern.
import type { Policy, Store } from '@spillway/core'
import { storeKey } from '@spillway/core/store'
import type { Redis } from 'ioredis'

/** One load pattern: on each timer turn (~1 ms), `perTick` decisions on the keys `keyAt(tick, i)` pick. */
export interface CostScenario {
  readonly label: string
  readonly policy: Policy
  readonly perTick: number
  readonly keyAt: (tick: number, i: number) => string
  readonly warmUpMs: number
  readonly measureMs: number
}

/** Commands Redis ran per decision while measuring: script calls (EVALSHA/EVAL) and every command (scripts' included). */
export interface CostFigures {
  readonly label: string
  readonly decisions: number
  readonly admitted: number
  readonly scriptCalls: number
  readonly commands: number
  readonly scriptCallsPerDecision: number
  readonly commandsPerDecision: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `INFO commandstats` as command → calls, leaving out the measuring client's own INFO and CONFIG. */
export async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const info = await admin.info('commandstats')
  const calls = new Map<string, number>()
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = match[1] as string
    if (name !== 'info' && name !== 'config' && !name.startsWith('config|')) calls.set(name, Number(match[2]))
  }
  return calls
}

/**
 * Runs `scenario` on `store`: warm up, `CONFIG RESETSTAT`, measure, read `INFO commandstats`.
 *
 * @example
 * ```ts
 * const figures = await measureCost(store, admin, { label: 'hot key', policy, perTick: 20, keyAt: () => 'hot', ... })
 * ```
 */
export async function measureCost(store: Store, admin: Redis, scenario: CostScenario): Promise<CostFigures> {
  await drive(store, scenario, scenario.warmUpMs)
  await admin.config('RESETSTAT')
  const { decisions, admitted } = await drive(store, scenario, scenario.measureMs)
  const calls = await commandCalls(admin)
  const scriptCalls = (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0)
  const commands = [...calls.values()].reduce((sum, n) => sum + n, 0)
  return {
    label: scenario.label,
    decisions,
    admitted,
    scriptCalls,
    commands,
    scriptCallsPerDecision: scriptCalls / decisions,
    commandsPerDecision: commands / decisions,
  }
}

async function drive(
  store: Store,
  scenario: CostScenario,
  ms: number,
): Promise<{ decisions: number; admitted: number }> {
  const { policy, perTick, keyAt } = scenario
  const endAt = performance.now() + ms
  let decisions = 0
  let admitted = 0
  let pending: Promise<void>[] = []
  for (let tick = 0; performance.now() < endAt; tick++) {
    for (let i = 0; i < perTick; i++) {
      decisions++
      pending.push(
        store.consume(storeKey(policy.name, keyAt(tick, i)), policy, 1).then((s) => void (s.allowed && admitted++)),
      )
    }
    await sleep(1)
    if (pending.length > 10_000) {
      await Promise.all(pending)
      pending = []
    }
  }
  await Promise.all(pending)
  return { decisions, admitted }
}
