// Checks the token bucket scripts' replies: pairs of integers {allowed (1|0), debtUs ≥ 0}.
import type { StepResult } from '@spillway/core'

/**
 * Reads `count` steps from a flat reply `[allowed1, debt1, allowed2, debt2, …]`; throws on anything
 * else, so a reply from the wrong script or a changed server never becomes a decision.
 */
export function parseSteps(reply: unknown, count: number): StepResult[] {
  if (!Array.isArray(reply) || reply.length !== 2 * count) throw unexpected(reply)
  const steps: StepResult[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const allowed = Number(reply[2 * i])
    const debtUs = Number(reply[2 * i + 1])
    if ((allowed !== 0 && allowed !== 1) || !Number.isSafeInteger(debtUs) || debtUs < 0) throw unexpected(reply)
    steps[i] = { allowed: allowed === 1, debtUs }
  }
  return steps
}

/** One step from the single-key script's `{allowed, debtUs}`. */
export function parseStep(reply: unknown): StepResult {
  return parseSteps(reply, 1)[0] as StepResult
}

function unexpected(reply: unknown): Error {
  const text = JSON.stringify(reply) ?? String(reply)
  return new Error(`[spillway] unexpected reply from the token bucket script: ${text.slice(0, 200)}`)
}
