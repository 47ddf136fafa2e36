// Parses readable durations ('1m', '30s', '1.5h', 250) into milliseconds.

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|sec|s|min|m|h|d)\s*$/

/**
 * Returns the duration in milliseconds, or `undefined` when the input is not a positive finite duration.
 * A bare number is milliseconds; a string is a number followed by `ms`, `s`, `m`, `h` or `d`.
 *
 * @example
 * ```ts
 * parseDurationMs('1m') // 60000
 * ```
 */
export function parseDurationMs(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input > 0 ? input : undefined
  if (typeof input !== 'string') return undefined
  const match = DURATION_PATTERN.exec(input)
  if (!match) return undefined
  const amount = Number(match[1])
  const unitMs = UNIT_MS[match[2] as string] as number
  const ms = amount * unitMs
  return ms > 0 && Number.isFinite(ms) ? ms : undefined
}
