// Configuration errors: a stable code, the option's path and the value that was rejected.

/** Stable codes for every configuration error; each is described in docs/errors.md. */
export type SpillwayErrorCode =
  | 'ERR_SPILLWAY_INVALID_OPTION'
  | 'ERR_SPILLWAY_UNKNOWN_OPTION'
  | 'ERR_SPILLWAY_MISSING_OPTION'
  | 'ERR_SPILLWAY_COST_EXCEEDS_CAPACITY'
  | 'ERR_SPILLWAY_INVALID_STORE'
  | 'ERR_SPILLWAY_DUPLICATE_POLICY'
  | 'ERR_SPILLWAY_INEXACT_RATE'
  | 'ERR_SPILLWAY_POLICY_OPTION_NOT_SHARED'
  | 'ERR_SPILLWAY_TOO_MANY_POLICIES'

/**
 * Thrown at construction time when an option is missing, unknown or out of range.
 *
 * @example
 * ```ts
 * try { createLimiter({ capacity: -1, refillRate: 1, store }) }
 * catch (error) { if (error instanceof SpillwayConfigError) console.log(error.code, error.option) }
 * ```
 */
export class SpillwayConfigError extends Error {
  override readonly name = 'SpillwayConfigError'
  /** Stable machine-readable code, e.g. `ERR_SPILLWAY_INVALID_OPTION`. */
  readonly code: SpillwayErrorCode
  /** Path of the offending option, e.g. `refillRate.per`. */
  readonly option: string
  /** The value that was received. */
  readonly value: unknown

  constructor(code: SpillwayErrorCode, option: string, value: unknown, expectation: string) {
    super(`[spillway] ${option} ${expectation}, got ${describeValue(value)} (${code}; see ${errorHelp(code)})`)
    this.code = code
    this.option = option
    this.value = value
  }
}

/**
 * Where an error code is explained: its entry in `docs/errors.md`, which ships inside `@spillway/core`
 * (and is the same file as `docs/errors.md` in the repository).
 *
 * @example
 * ```ts
 * errorHelp('ERR_SPILLWAY_INEXACT_RATE') // '@spillway/core/docs/errors.md#err_spillway_inexact_rate'
 * ```
 */
export function errorHelp(code: string): string {
  return `@spillway/core/docs/errors.md#${code.toLowerCase()}`
}

/** Renders a received value for an error message without throwing on odd inputs. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return truncate(JSON.stringify(value))
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  try {
    return truncate(JSON.stringify(value) ?? String(value))
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** Long values (a client-controlled key, a large object) are cut, so a message stays readable and small. */
function truncate(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 117)}…`
}
