// Median and spread of a few rounds; the spread is the range, as a ± percentage of the median.
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  /** Half the range over the median, in percent: 0 with one round. */
  readonly spreadPercent: number
}

/**
 * Summarises the values of one figure over the rounds.
 *
 * @example
 * ```ts
 * summarize([98, 100, 103]) // { median: 100, min: 98, max: 103, spreadPercent: 2.5 }
 * ```
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('no values to summarise')
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  const min = sorted[0]!
  const max = sorted[sorted.length - 1]!
  return { median, min, max, spreadPercent: median === 0 ? 0 : ((max - min) / 2 / Math.abs(median)) * 100 }
}

/**
 * `12.7 (11.8–13.3)`: the median of `values` and their range, with `digits` decimals.
 *
 * @example
 * ```ts
 * medianAndRange([11.8, 12.7, 13.3], 1) // '12.7 (11.8–13.3)'
 * ```
 */
export function medianAndRange(values: readonly number[], digits: number): string {
  const { median, min, max } = summarize(values)
  return `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`
}
