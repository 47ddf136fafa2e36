// RateLimit header writers, one per IETF draft, so a new draft is a new writer and not a breaking change.
import { jitterDelayMs } from './jitter.js'
import type { Decision } from './types.js'

/** Which standard header fields to send. See docs/headers.md for how B, R map onto each draft. */
export type StandardHeaders = 'draft-11' | 'draft-10' | 'draft-6' | false

/** A header to set on the response. Combine it with what other policies set with `mergeHeaderFields`. */
export interface HeaderField {
  readonly name: string
  readonly value: string
  /** True for structured-field Lists (`RateLimit`, `RateLimit-Policy`): append, don't replace. */
  readonly list: boolean
}

/** What to send, validated once. */
export interface HeaderOptions {
  readonly standard: StandardHeaders
  readonly legacy: boolean
  /** `retryJitter`: the most ms of random delay added to `Retry-After` and the reset hints. 0 or absent: none. */
  readonly jitterMaxMs?: number
  /** Uniform in [0, 1): `Math.random` unless a test fixes it. */
  readonly random?: () => number
}

/** The times of one response, in whole seconds, with the same jitter in each. */
interface TimeHints {
  /** Undefined when allowed, or when the cost can never fit (no wait would help). */
  readonly retryAfter: number | undefined
  /** Seconds until one more token, rounded up; 0 when the bucket is full. */
  readonly nextToken: number
}

/**
 * The header fields for one decision: the selected IETF draft, optional legacy `X-RateLimit-*`,
 * and `Retry-After` (whole seconds, rounded up, at least 1) on a rejection that can succeed later.
 * With `jitterMaxMs`, one random delay is added to every time the response states.
 *
 * @example
 * ```ts
 * rateLimitHeaders(decision, { standard: 'draft-11', legacy: false })
 * // [{ name: 'RateLimit-Policy', value: '"default";q=10;w=10', list: true }, …]
 * ```
 */
export function rateLimitHeaders(decision: Decision, options: HeaderOptions): HeaderField[] {
  const hints = timeHints(decision, jitterDelayMs(options.jitterMaxMs ?? 0, options.random))
  // The draft's writer makes the array the others append to: one array per response, no spreads.
  const fields = standardFields(decision, hints, options.standard)
  if (options.legacy) fields.push(...legacy(decision, hints))
  if (hints.retryAfter !== undefined) fields.push({ name: 'Retry-After', value: String(hints.retryAfter), list: false })
  return fields
}

function standardFields(decision: Decision, hints: TimeHints, standard: StandardHeaders): HeaderField[] {
  if (standard === 'draft-11') return draft11(decision, hints)
  if (standard === 'draft-10') return draft10(decision, hints)
  if (standard === 'draft-6') return draft6(decision, hints)
  return []
}

/** `Retry-After` in whole seconds, rounded up and never 0; undefined when allowed or never admissible. */
export function retryAfterSeconds(decision: Decision): number | undefined {
  return timeHints(decision, 0).retryAfter
}

/**
 * Combines one list field with what the response already carries (appends). Prefer `mergeHeaderFields`,
 * which also applies each draft's rules for several policies.
 *
 * @example
 * ```ts
 * mergeHeaderValue('"global";r=9', field) // '"global";r=9, "login";r=4'
 * ```
 */
export function mergeHeaderValue(existing: unknown, field: HeaderField): string {
  if (!field.list || existing === undefined || existing === null || existing === '') return field.value
  const previous = Array.isArray(existing) ? existing.join(', ') : String(existing)
  return `${previous}, ${field.value}`
}

function timeHints(decision: Decision, delayMs: number): TimeHints {
  const { allowed, retryAfterMs, nextTokenMs } = decision
  const retryAfter =
    allowed || !Number.isFinite(retryAfterMs) ? undefined : Math.max(1, Math.ceil((retryAfterMs + delayMs) / 1000))
  const nextToken = nextTokenMs > 0 ? Math.ceil((nextTokenMs + delayMs) / 1000) : 0
  return { retryAfter, nextToken }
}

/** `w`: seconds an empty bucket takes to fill, i.e. the window in which at most `q` = B is granted at once. */
function windowSeconds(decision: Decision): number {
  return Math.max(1, Math.ceil(decision.policy.burstUs / 1e6))
}

/** What never changes for a policy: its quoted name and `RateLimit-Policy` field, built once. */
interface PolicyConstants {
  readonly quotedName: string
  readonly policyField: HeaderField
}

const constantsByPolicy = new WeakMap<Decision['policy'], PolicyConstants>()
/** The policy of the last response and its constants: most responses in a row share one, and a WeakMap lookup costs more. */
let lastPolicy: Decision['policy'] | undefined
let lastConstants: PolicyConstants | undefined

function constantsOf(decision: Decision): PolicyConstants {
  if (decision.policy === lastPolicy) return lastConstants as PolicyConstants
  const constants = constantsByPolicyOf(decision)
  lastPolicy = decision.policy
  lastConstants = constants
  return constants
}

function constantsByPolicyOf(decision: Decision): PolicyConstants {
  const cached = constantsByPolicy.get(decision.policy)
  if (cached) return cached
  const quotedName = sfString(decision.policy.name)
  const value = `${quotedName};q=${decision.limit};w=${windowSeconds(decision)}`
  const constants = { quotedName, policyField: { name: 'RateLimit-Policy', value, list: true } }
  constantsByPolicy.set(decision.policy, constants)
  return constants
}

/**
 * -11: `r` = available quota (whole tokens now); `t` = effective window: the seconds the bucket takes to
 * earn `r` back (⌈r/R⌉, at least 1), so `r/t` never states more than R per second (§6 asks to cap that
 * ratio). With `r = 0`, until the next token; on a rejection, never shorter than `Retry-After`.
 */
function draft11(decision: Decision, hints: TimeHints): HeaderField[] {
  const r = decision.remaining
  const earnBack = r > 0 ? Math.ceil((r * decision.policy.emissionIntervalUs) / 1e6) : hints.nextToken
  const t = Math.max(1, earnBack, hints.retryAfter ?? 0)
  const { quotedName, policyField } = constantsOf(decision)
  return [policyField, { name: 'RateLimit', value: `${quotedName};r=${r};t=${t}`, list: true }]
}

/** -10 (and -08, -09): `r` = remaining; `t` = seconds until more quota is available, omitted when full. */
function draft10(decision: Decision, hints: TimeHints): HeaderField[] {
  const t = hints.nextToken > 0 ? `;t=${hints.nextToken}` : ''
  const { quotedName, policyField } = constantsOf(decision)
  return [policyField, { name: 'RateLimit', value: `${quotedName};r=${decision.remaining}${t}`, list: true }]
}

/**
 * -06: separate Limit / Remaining / Reset and an unnamed Policy. Reset is the seconds until the next token,
 * and on a rejection the same point in time as `Retry-After` (-06 §4: it "SHOULD reference the same point in time").
 */
function draft6(decision: Decision, hints: TimeHints): HeaderField[] {
  return [
    { name: 'RateLimit-Policy', value: `${decision.limit};w=${windowSeconds(decision)}`, list: true },
    { name: 'RateLimit-Limit', value: String(decision.limit), list: false },
    { name: 'RateLimit-Remaining', value: String(decision.remaining), list: false },
    { name: 'RateLimit-Reset', value: String(hints.retryAfter ?? hints.nextToken), list: false },
  ]
}

/** `X-RateLimit-Reset` is delta seconds (not an epoch time), as draft-6's Reset. */
function legacy(decision: Decision, hints: TimeHints): HeaderField[] {
  return [
    { name: 'X-RateLimit-Limit', value: String(decision.limit), list: false },
    { name: 'X-RateLimit-Remaining', value: String(decision.remaining), list: false },
    { name: 'X-RateLimit-Reset', value: String(hints.retryAfter ?? hints.nextToken), list: false },
  ]
}

/** RFC 9651 sf-String; policy names are validated to printable ASCII, escaping keeps that honest. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}
