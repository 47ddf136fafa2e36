// RateLimit header writers, one per IETF draft, so a new draft is a new writer and not a breaking change.
import type { Decision } from './types.js'

/** Which standard header fields to send. See docs/headers.md for how B, R map onto each draft. */
export type StandardHeaders = 'draft-11' | 'draft-10' | 'draft-6' | false

/** A header to set on the response. `list` fields combine with values other policies already set. */
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
}

/**
 * The header fields for one decision: the selected IETF draft, optional legacy `X-RateLimit-*`,
 * and `Retry-After` (whole seconds, rounded up, at least 1) on a rejection that can succeed later.
 *
 * @example
 * ```ts
 * rateLimitHeaders(decision, { standard: 'draft-11', legacy: false })
 * // [{ name: 'RateLimit-Policy', value: '"default";q=10;w=10', list: true }, …]
 * ```
 */
export function rateLimitHeaders(decision: Decision, options: HeaderOptions): HeaderField[] {
  const fields: HeaderField[] = []
  if (options.standard === 'draft-11') fields.push(...draft11(decision))
  if (options.standard === 'draft-10') fields.push(...draft10(decision))
  if (options.standard === 'draft-6') fields.push(...draft6(decision))
  if (options.legacy) fields.push(...legacy(decision))
  const retryAfter = retryAfterSeconds(decision)
  if (retryAfter !== undefined) fields.push({ name: 'Retry-After', value: String(retryAfter), list: false })
  return fields
}

/** `Retry-After` in whole seconds, rounded up and never 0; undefined when allowed or never admissible. */
export function retryAfterSeconds(decision: Decision): number | undefined {
  if (decision.allowed || !Number.isFinite(decision.retryAfterMs)) return undefined
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000))
}

/**
 * Combines a list field with what the response already carries, so a route policy adds its item
 * next to the app-wide one instead of replacing it.
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

/** `w`: seconds an empty bucket takes to fill, i.e. the window in which at most `q` = B is granted at once. */
function windowSeconds(decision: Decision): number {
  return Math.max(1, Math.ceil(decision.policy.burstUs / 1e6))
}

function policyItem(decision: Decision): string {
  return `${sfString(decision.policy.name)};q=${decision.limit};w=${windowSeconds(decision)}`
}

/** -11: `r` = available quota; `t` = seconds within which no more than `r` can be used (until the next token). */
function draft11(decision: Decision): HeaderField[] {
  const untilNextTokenUs = decision.nextTokenMs > 0 ? decision.nextTokenMs * 1000 : decision.policy.emissionIntervalUs
  const t = Math.floor(untilNextTokenUs / 1e6)
  return [
    { name: 'RateLimit-Policy', value: policyItem(decision), list: true },
    { name: 'RateLimit', value: `${sfString(decision.policy.name)};r=${decision.remaining};t=${t}`, list: true },
  ]
}

/** -10 (and -08, -09): `r` = remaining; `t` = seconds until more quota is available, omitted when full. */
function draft10(decision: Decision): HeaderField[] {
  const t = decision.nextTokenMs > 0 ? `;t=${Math.ceil(decision.nextTokenMs / 1000)}` : ''
  return [
    { name: 'RateLimit-Policy', value: policyItem(decision), list: true },
    { name: 'RateLimit', value: `${sfString(decision.policy.name)};r=${decision.remaining}${t}`, list: true },
  ]
}

/** -06: separate Limit / Remaining / Reset (seconds until the next token) and an unnamed Policy. */
function draft6(decision: Decision): HeaderField[] {
  return [
    { name: 'RateLimit-Policy', value: `${decision.limit};w=${windowSeconds(decision)}`, list: true },
    { name: 'RateLimit-Limit', value: String(decision.limit), list: false },
    { name: 'RateLimit-Remaining', value: String(decision.remaining), list: false },
    { name: 'RateLimit-Reset', value: String(Math.ceil(decision.nextTokenMs / 1000)), list: false },
  ]
}

/** `X-RateLimit-Reset` is delta seconds until the next token (not an epoch time). */
function legacy(decision: Decision): HeaderField[] {
  return [
    { name: 'X-RateLimit-Limit', value: String(decision.limit), list: false },
    { name: 'X-RateLimit-Remaining', value: String(decision.remaining), list: false },
    { name: 'X-RateLimit-Reset', value: String(Math.ceil(decision.nextTokenMs / 1000)), list: false },
  ]
}

/** RFC 9651 sf-String; policy names are validated to printable ASCII, escaping keeps that honest. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}
