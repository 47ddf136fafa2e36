// bench/stats.ts: the median and ± spread every figure of docs/benchmarks.md is printed from.
import { describe, expect, it } from 'vitest'
import { medianAndRange, summarize } from '../../bench/stats.js'

describe('summarize', () => {
  it('takes the middle value of an odd count, whatever the order of the rounds', () => {
    expect(summarize([103, 98, 100]).median).toBe(100)
  })

  it('takes the mean of the two middle values of an even count', () => {
    expect(summarize([40, 10, 30, 20]).median).toBe(25)
  })

  it('sorts numerically, not as strings', () => {
    // A default sort() would order these 10, 200, 5 and answer 200.
    expect(summarize([200, 5, 10])).toMatchObject({ median: 10, min: 5, max: 200 })
  })

  it('gives half the range as a percentage of the median', () => {
    // Range 5 over median 100: ±2.5 %.
    expect(summarize([98, 100, 103])).toEqual({ median: 100, min: 98, max: 103, spreadPercent: 2.5 })
  })

  it('reports one round as its value with no spread', () => {
    expect(summarize([7.5])).toEqual({ median: 7.5, min: 7.5, max: 7.5, spreadPercent: 0 })
  })

  it('does not divide by a zero median', () => {
    expect(summarize([-1, 0, 1]).spreadPercent).toBe(0)
  })

  it('keeps the spread positive for a negative median', () => {
    expect(summarize([-12, -10, -8]).spreadPercent).toBe(20)
  })

  it('leaves the caller’s array in its order', () => {
    const rounds = [3, 1, 2]
    summarize(rounds)
    expect(rounds).toEqual([3, 1, 2])
  })

  it('refuses no rounds instead of reporting NaN', () => {
    expect(() => summarize([])).toThrow('no values to summarise')
  })
})

describe('medianAndRange', () => {
  it('gives the median and the range of the rounds, in any order', () => {
    expect(medianAndRange([13.3, 11.8, 12.7], 1)).toBe('12.7 (11.8–13.3)')
    expect(medianAndRange([4, 3], 0)).toBe('4 (3–4)')
  })
})
