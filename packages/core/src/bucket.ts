// The bucket math, once, as pure functions in integer microseconds (GCRA form; see docs/design.md).
import type { Decision, Policy, StepResult } from './types.js'

/** The new state of one bucket after a decision. */
export interface BucketStep {
  readonly allowed: boolean
  /** The theoretical arrival time to store, µs on the store's clock. */
  readonly tatUs: number
  /** `max(0, tat − now)` after the decision: how far the bucket is below full, in µs. */
  readonly debtUs: number
}

/**
 * Decides one request against a bucket whose stored theoretical arrival time is `tatUs`
 * (`undefined` for a bucket never seen, i.e. full).
 *
 * Clock policy: a forward jump leaves `tat ≤ now`, a full bucket (never more than B tokens);
 * a backward jump leaves `tat − now` above the admission window `τ + D` (D = `maxWaitUs`, default 0),
 * clamped to `now + τ + D`, an empty bucket that refills at the normal rate (never a freeze as long as the
 * jump). With D > 0 a step admits up to `tat − now ≤ τ + D`: past `τ` the request is admitted on credit
 * and waits `tat − τ − now` (see {@link describeDecision}'s `waitMs`). `withoutCredit` admits only up to
 * `τ` (tokens there now: the all-or-nothing step) while still clamping at `τ + D`, so what other requests
 * reserved on credit stays reserved.
 *
 * @example
 * ```ts
 * const step = stepBucket(policy, { tatUs: undefined, nowUs: 0, cost: 1 })
 * ```
 */
export function stepBucket(
  policy: Policy,
  input: {
    readonly tatUs: number | undefined
    readonly nowUs: number
    readonly cost: number
    readonly withoutCredit?: boolean
  },
): BucketStep {
  const { nowUs, cost } = input
  const windowUs = admissionWindowUs(policy)
  const storedTat = input.tatUs ?? nowUs
  const tat = Math.min(Math.max(storedTat, nowUs), nowUs + windowUs)
  const costUs = cost * policy.emissionIntervalUs
  const newTat = tat + costUs
  const limitUs = input.withoutCredit === true ? policy.burstUs : windowUs
  // costUs ≤ τ: more than B tokens at once is never admitted, on credit neither (implied when D = 0).
  if (newTat - nowUs <= limitUs && costUs <= policy.burstUs) {
    return { allowed: true, tatUs: newTat, debtUs: newTat - nowUs }
  }
  return { allowed: false, tatUs: tat, debtUs: tat - nowUs }
}

/**
 * The state of a bucket without changing it: `debtUs` as after a step that took nothing (clamped like
 * {@link stepBucket} after a backward clock jump), and `allowed` when one token is there now.
 *
 * @example
 * ```ts
 * const { debtUs } = peekBucket(policy, { tatUs: stored, nowUs })
 * ```
 */
export function peekBucket(
  policy: Policy,
  input: { readonly tatUs: number | undefined; readonly nowUs: number },
): StepResult {
  const { nowUs } = input
  const tat = Math.min(Math.max(input.tatUs ?? nowUs, nowUs), nowUs + admissionWindowUs(policy))
  const debtUs = tat - nowUs
  return { allowed: debtUs + policy.emissionIntervalUs <= policy.burstUs, debtUs }
}

/**
 * Gives `tokens` back to a bucket: `tat ← max(now, tat − tokens·T)`, so a refund never raises a bucket
 * above its capacity. A `tatUs` at or below `nowUs` in the result is a full bucket (forget it).
 *
 * @example
 * ```ts
 * const step = refundBucket(policy, { tatUs: stored, nowUs, tokens: 1 })
 * ```
 */
export function refundBucket(
  policy: Policy,
  input: { readonly tatUs: number | undefined; readonly nowUs: number; readonly tokens: number },
): BucketStep {
  const { nowUs, tokens } = input
  const tat = Math.min(Math.max(input.tatUs ?? nowUs, nowUs), nowUs + admissionWindowUs(policy))
  const newTat = Math.max(nowUs, tat - tokens * policy.emissionIntervalUs)
  const debtUs = newTat - nowUs
  return { allowed: debtUs + policy.emissionIntervalUs <= policy.burstUs, tatUs: newTat, debtUs }
}

/**
 * Turns a store's raw step (computed here or inside Redis) into the decision a caller sees.
 * `debtUs` is `max(0, tat − now)` after the step.
 *
 * @example
 * ```ts
 * const decision = describeDecision(policy, { allowed: true, debtUs: 1_000_000 }, 1)
 * ```
 */
export function describeDecision(policy: Policy, step: StepResult, cost: number): Decision {
  const frame = step.fallbackPolicy ?? policy
  const { emissionIntervalUs: intervalUs, burstUs } = frame
  // Past τ only under maxWait: tokens reserved on credit by requests that wait.
  const debtUs = Math.min(Math.max(step.debtUs, 0), admissionWindowUs(frame))
  const remaining = Math.floor((burstUs - Math.min(debtUs, burstUs)) / intervalUs)
  const nextTokenUs = debtUs === 0 ? 0 : debtUs - (burstUs - (remaining + 1) * intervalUs)
  const waitUs = step.allowed ? debtUs - burstUs : 0
  // One literal, no spreads: this runs for every decision, and the rare fields are added after.
  const decision: { -readonly [Field in keyof Decision]: Decision[Field] } = {
    allowed: step.allowed,
    policy,
    cost,
    limit: policy.capacity,
    remaining,
    retryAfterMs: step.allowed ? 0 : retryAfterMs(policy, frame, debtUs, cost),
    nextTokenMs: usToMsCeil(nextTokenUs),
    resetMs: usToMsCeil(debtUs),
  }
  if (waitUs > 0) decision.waitMs = usToMsCeil(waitUs)
  if (step.fallbackPolicy !== undefined) decision.source = 'fallback'
  return decision
}

/**
 * `τ + D`: how far ahead of now a bucket's `tat` may be after an admission — the burst window, plus the
 * policy's `maxWaitUs` of credit. Stores that do the step elsewhere (the Redis scripts) pass this as
 * their burst argument, so the step, its clamp and a refund are the same there as in {@link stepBucket}.
 *
 * @example
 * ```ts
 * await client.evalsha(tokenBucketScriptSha1, 1, key, policy.emissionIntervalUs, admissionWindowUs(policy), cost)
 * ```
 */
export function admissionWindowUs(policy: Policy): number {
  return policy.burstUs + (policy.maxWaitUs ?? 0)
}

function retryAfterMs(policy: Policy, frame: Policy, debtUs: number, cost: number): number {
  if (cost > policy.capacity) return Number.POSITIVE_INFINITY
  return usToMsCeil(debtUs + cost * frame.emissionIntervalUs - frame.burstUs)
}

function usToMsCeil(us: number): number {
  return Math.max(0, Math.ceil(us / 1000))
}
