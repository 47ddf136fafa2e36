// Combines the header fields of several policies on one response, by each field's rule in the drafts.
import { type HeaderField, mergeHeaderValue } from './headers.js'

/** Reads a header the response already carries (from an earlier policy); absent as undefined, null or ''. */
export type ReadHeader = (name: string) => unknown

/** Single-valued fields that describe one policy together: Limit, Remaining, Reset. */
const SINGLE_POLICY_GROUPS = [
  ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
  ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
] as const

type Group = (typeof SINGLE_POLICY_GROUPS)[number]

/** One policy's Limit / Remaining / Reset, and whether its decision was a rejection (it sent `Retry-After`). */
interface GroupValues {
  readonly limit: number
  readonly remaining: number
  readonly reset: number
  readonly rejected: boolean
}

const GROUPED = new Set<string>(SINGLE_POLICY_GROUPS.flat())

/**
 * The fields to set on a response that may already carry an earlier policy's fields (an app-wide
 * policy, then a route's). Set each returned field as it is, replacing the response's value (on the usual
 * response, which has none of them yet, the answer is `fields` itself):
 * - `RateLimit` and `RateLimit-Policy` lists gain this policy's item (it replaces an earlier item of the same
 *   policy name: a policy restated after a give-back); in draft-6's unnamed
 *   `RateLimit-Policy`, two items never share a quota value (the one with the longer window stays);
 * - draft-6 `RateLimit-Limit` / `-Remaining` / `-Reset` (and `X-RateLimit-*`) describe one policy: the one
 *   closest to its limit (a rejecting one first, then the fewest remaining, then the longest reset);
 * - `Retry-After` is the longest wait, and the Reset fields point at the same second.
 *
 * @example
 * ```ts
 * for (const field of mergeHeaderFields(outcome.headers, (name) => res.getHeader(name))) {
 *   res.setHeader(field.name, field.value)
 * }
 * ```
 */
export function mergeHeaderFields(fields: readonly HeaderField[], existing: ReadHeader): readonly HeaderField[] {
  if (nothingToMerge(fields, existing)) return fields
  const merged: HeaderField[] = []
  let grouped = false
  for (const field of fields) {
    if (GROUPED.has(field.name)) grouped = true
    else if (field.name !== 'Retry-After') merged.push(mergedField(existing(field.name), field))
  }
  const incomingRetry = integerOf(fieldValue(fields, 'Retry-After'))
  // The response's Retry-After only counts for a Retry-After or a Reset field sent now: an admission under
  // draft-10/11 does not read it.
  if (incomingRetry === undefined && !grouped) return merged
  const currentRetry = integerOf(existing('Retry-After'))
  const retryAfter = incomingRetry === undefined ? currentRetry : Math.max(incomingRetry, currentRetry ?? 0)
  if (grouped) {
    for (const group of SINGLE_POLICY_GROUPS) {
      const incoming = groupValues(group, (name) => fieldValue(fields, name), incomingRetry)
      if (!incoming) continue
      const current = groupValues(group, existing, currentRetry)
      const chosen = current && closerToLimit(current, incoming) ? current : incoming
      merged.push(...groupFields(group, chosen, retryAfter))
    }
  }
  if (incomingRetry !== undefined) merged.push({ name: 'Retry-After', value: String(retryAfter), list: false })
  return merged
}

/**
 * True on the usual response, the first policy's: the response carries none of the fields yet, and none is
 * merged by group or as `Retry-After`. The fields are then set as they are, with no copy.
 */
function nothingToMerge(fields: readonly HeaderField[], existing: ReadHeader): boolean {
  for (let i = 0; i < fields.length; i++) {
    const { name } = fields[i] as HeaderField
    if (GROUPED.has(name) || name === 'Retry-After' || !isAbsent(existing(name))) return false
  }
  return true
}

/** A field with the response's value merged in; the field itself on the usual response, which has none yet. */
function mergedField(existing: unknown, field: HeaderField): HeaderField {
  if (isAbsent(existing)) return field
  return { ...field, value: mergeListField(existing, field) }
}

function fieldValue(fields: readonly HeaderField[], name: string): string | undefined {
  for (const field of fields) if (field.name === name) return field.value
  return undefined
}

/** True when `a` is at least as close to its limit as `b` (a tie keeps `a`, the one already sent). */
function closerToLimit(a: GroupValues, b: GroupValues): boolean {
  if (a.rejected !== b.rejected) return a.rejected
  if (a.remaining !== b.remaining) return a.remaining < b.remaining
  return a.reset >= b.reset
}

function groupValues(group: Group, read: ReadHeader, retryAfter: number | undefined): GroupValues | undefined {
  const [limit, remaining, reset] = group.map((name) => integerOf(read(name)))
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined
  return { limit, remaining, reset, rejected: retryAfter !== undefined }
}

function groupFields(group: Group, values: GroupValues, retryAfter: number | undefined): HeaderField[] {
  const [limitName, remainingName, resetName] = group
  return [
    { name: limitName, value: String(values.limit), list: false },
    { name: remainingName, value: String(values.remaining), list: false },
    { name: resetName, value: String(retryAfter ?? values.reset), list: false },
  ]
}

/**
 * A list field with this response's items placed: a named item replaces the item of the same policy name
 * (a policy restated after a later one rejected the request and its tokens were given back), others are
 * appended; draft-6 policies (Integer items) keep one item per quota value.
 */
function mergeListField(existing: unknown, field: HeaderField): string {
  if (!field.list || isAbsent(existing)) return mergeHeaderValue(existing, field)
  const items = splitItems(existing)
  for (const item of splitItems(field.value)) placeItem(items, item, field.name)
  return items.join(', ')
}

function placeItem(items: string[], item: string, fieldName: string): void {
  const name = NAMED_ITEM.exec(item)?.[0]
  if (name !== undefined) {
    const same = items.findIndex((member) => NAMED_ITEM.exec(member)?.[0] === name)
    if (same === -1) items.push(item)
    else items[same] = item
    return
  }
  const quota = fieldName === 'RateLimit-Policy' ? DRAFT6_POLICY_ITEM.exec(item) : null
  const sameQuota = quota ? items.findIndex((member) => DRAFT6_POLICY_ITEM.exec(member)?.[1] === quota[1]) : -1
  if (quota === null || sameQuota === -1) {
    items.push(item)
    return
  }
  // -06 §3.2: "Two quota policies MUST NOT be associated with the same quota units value." Same quota, the
  // longer window is the stricter policy: keep it.
  const kept = DRAFT6_POLICY_ITEM.exec(items[sameQuota] as string)
  if (Number(quota[2]) > Number(kept?.[2])) items[sameQuota] = item
}

/** The members of a list field as sent (Spillway's policy names hold no comma or quote). */
function splitItems(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(', ') : String(value)
  return text
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '')
}

/** The sf-String a draft-10/11 item opens with: its policy name. */
const NAMED_ITEM = /^"(?:[^"\\]|\\.)*"/

/** `5;w=60`: a draft-6 quota policy as Spillway writes it (quota, window). */
const DRAFT6_POLICY_ITEM = /^(\d+);w=(\d+)$/

function integerOf(value: unknown): number | undefined {
  if (isAbsent(value)) return undefined
  const text = Array.isArray(value) ? String(value.at(-1)) : String(value)
  return /^\d+$/.test(text.trim()) ? Number(text) : undefined
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}
