// What every conformance scenario file shares: the Scenario shape and small policy helpers.
import { SpillwayConfigError } from '@spillway/core'
import { expect } from 'vitest'
import type { AppSpec, PolicySpec, ScenarioContext } from '../app-factory.js'

export interface Scenario {
  /** Stable id: keep it when the wording changes, so results stay comparable. */
  readonly id: string
  /** What an adapter MUST do. */
  readonly name: string
  /** Only meaningful on a store shared between processes (Redis). */
  readonly sharedStoreOnly?: boolean
  run(ctx: ScenarioContext): Promise<void>
}

/** B tokens, one more every 12 s (Retry-After 12, w = 12·B): nothing refills during a scenario. */
export function slow(ctx: ScenarioContext, capacity: number, extra: Partial<PolicySpec> = {}): PolicySpec {
  return { capacity, refillRate: { tokens: 5, per: '1m' }, store: ctx.store(), ...extra }
}

/** A key (or other) function reading one request header, whatever the framework. */
export const header = (ctx: ScenarioContext, name: string) => (request: unknown) => ctx.app.headerOf(request, name)

export const PROBLEM_TYPES = 'https://iana.org/assignments/http-problem-types'

export async function expectConfigError(ctx: ScenarioContext, spec: AppSpec, option: string, code: string) {
  const built = ctx.app.build(spec)
  await expect(built).rejects.toBeInstanceOf(SpillwayConfigError)
  await expect(built).rejects.toMatchObject({ option, code })
}

export function raise(message: string): never {
  throw new Error(message)
}
