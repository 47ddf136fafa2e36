// The bucket math of an all-or-nothing decision over several buckets, as one pure function (mirrored in Lua).
import { refundBucket, stepBucket } from './bucket.js'
import type { ConsumeStep, StepResult } from './types.js'

/** One bucket after an all-or-nothing decision: its result, and the time to store (µs; ≤ now is full). */
export interface TogetherStep extends StepResult {
  readonly tatUs: number
}

/**
 * Decides `steps` together at `nowUs`, reading each bucket's stored time with `tatOf` (`undefined` for a
 * bucket never seen). When every non-held step is admitted, each takes its cost and held steps keep theirs;
 * otherwise nothing is taken and held steps are given back (`tat ← max(now, tat − cost·T)`, never above
 * capacity). Two steps on one key see each other, as two calls in a row would. Answers, in order, each
 * bucket's result and the time to store; `taken` says whether the tokens were taken. Never on credit: a
 * policy's `maxWaitUs` only widens the clamp (what waiting requests reserved stays reserved); a step is
 * admitted when its tokens are there now.
 *
 * @example
 * ```ts
 * const { taken, steps } = decideTogetherAt(steps, nowUs, (key) => stored.get(key))
 * ```
 */
export function decideTogetherAt(
  steps: readonly ConsumeStep[],
  nowUs: number,
  tatOf: (key: string) => number | undefined,
): { taken: boolean; steps: TogetherStep[] } {
  const trial = new Map<string, number>()
  const read = (key: string) => (trial.has(key) ? trial.get(key) : tatOf(key))
  // Whether each step's bucket had its tokens after the earlier steps took theirs: made at the first step
  // that had not (every one before it had), so an admitted decision allocates nothing for it.
  let fits: boolean[] | undefined
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as ConsumeStep
    if (step.held) continue
    const next = stepBucket(step.policy, { tatUs: read(step.key), nowUs, cost: step.cost, withoutCredit: true })
    if (next.allowed) {
      trial.set(step.key, next.tatUs)
    } else {
      fits ??= new Array<boolean>(steps.length).fill(true)
      fits[i] = false
    }
  }
  if (fits === undefined) return { taken: true, steps: admitAll(steps, nowUs, tatOf) }
  return { taken: false, steps: rejectAll(steps, fits, nowUs, tatOf) }
}

/** Every step taken, in order (a held step keeps what it holds: its state as it is). */
function admitAll(steps: readonly ConsumeStep[], nowUs: number, tatOf: (key: string) => number | undefined) {
  const after = new Map<string, number | undefined>()
  const read = (key: string) => (after.has(key) ? after.get(key) : tatOf(key))
  return steps.map((step): TogetherStep => {
    const cost = step.held ? 0 : step.cost
    const next = stepBucket(step.policy, { tatUs: read(step.key), nowUs, cost })
    after.set(step.key, next.tatUs)
    return { allowed: true, debtUs: next.debtUs, tatUs: next.tatUs }
  })
}

/**
 * Nothing taken: each non-held step says whether its bucket had the tokens (`fits`, so of two steps on one
 * bucket that had room for one, the second did not); held ones are given back.
 */
function rejectAll(
  steps: readonly ConsumeStep[],
  fits: readonly boolean[],
  nowUs: number,
  tatOf: (key: string) => number | undefined,
) {
  const after = new Map<string, number | undefined>()
  const read = (key: string) => (after.has(key) ? after.get(key) : tatOf(key))
  return steps.map((step, i): TogetherStep => {
    if (step.held) {
      const given = refundBucket(step.policy, { tatUs: read(step.key), nowUs, tokens: step.cost })
      after.set(step.key, given.tatUs)
      return { allowed: true, debtUs: given.debtUs, tatUs: given.tatUs }
    }
    // The state as it is (clamped after a backward clock jump, as a rejected step stores it).
    const state = stepBucket(step.policy, { tatUs: read(step.key), nowUs, cost: 0 })
    after.set(step.key, state.tatUs)
    return { allowed: fits[i] as boolean, debtUs: state.debtUs, tatUs: state.tatUs }
  })
}
