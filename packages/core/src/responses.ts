// Default response bodies: RFC 9457 problem details with the IETF draft's problem types.
import type { Decision } from './types.js'

/** A response the adapter writes as it is. */
export interface LimitResponse {
  readonly status: number
  readonly contentType: string
  /** Serialised body (JSON or text). */
  readonly body: string
}

const PROBLEM_TYPES = 'https://iana.org/assignments/http-problem-types'

/**
 * The default 429 body: `application/problem+json` of type `quota-exceeded`, naming the policy.
 *
 * @example
 * ```ts
 * quotaExceededProblem(decision) // { type: '…#quota-exceeded', title: 'Too Many Requests', status: 429, … }
 * ```
 */
export function quotaExceededProblem(decision: Decision, status = 429): Record<string, unknown> {
  const detail = Number.isFinite(decision.retryAfterMs)
    ? `Rate limit "${decision.policy.name}" exceeded; retry in ${Math.max(1, Math.ceil(decision.retryAfterMs / 1000))} s.`
    : `This request costs ${decision.cost} tokens, more than the limit of ${decision.limit} allows at once.`
  return {
    type: `${PROBLEM_TYPES}#quota-exceeded`,
    title: 'Too Many Requests',
    status,
    detail,
    'violated-policies': [decision.policy.name],
  }
}

/** The body sent when the limiter cannot decide and is configured to deny (`onStoreError: 'deny'`). */
export function cannotDecideResponse(): LimitResponse {
  const problem = {
    type: `${PROBLEM_TYPES}#temporary-reduced-capacity`,
    title: 'Service Unavailable',
    status: 503,
    detail: 'The rate limiter could not decide on this request.',
  }
  return { status: 503, contentType: 'application/problem+json', body: JSON.stringify(problem) }
}

/** Serialises a user-supplied body: strings as text, everything else as JSON. */
export function serializeBody(status: number, body: unknown, problemJson: boolean): LimitResponse {
  if (typeof body === 'string') return { status, contentType: 'text/plain; charset=utf-8', body }
  const contentType = problemJson ? 'application/problem+json' : 'application/json; charset=utf-8'
  return { status, contentType, body: JSON.stringify(body) ?? 'null' }
}
