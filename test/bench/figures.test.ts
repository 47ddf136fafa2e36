// bench/report/figures.ts: how rounds become the report's figures, above all the ratio to the bare framework.
import { describe, expect, it } from 'vitest'
import { httpFigures, libraryFigures, limiterLabel, withSpread } from '../../bench/report/figures.js'
import { httpCase, httpRound, libraryCase } from './fixtures.js'

describe('httpFigures', () => {
  it('divides each round by the same round of the bare framework, then takes the median', () => {
    const bare = httpCase({
      framework: 'express',
      limiter: 'none',
      rounds: [1000, 2000, 4000].map((r) => httpRound(r)),
    })
    const limited = httpCase({
      framework: 'express',
      limiter: 'spillway-memory',
      rounds: [900, 1000, 3800].map((r) => httpRound(r)),
    })
    const [, figures] = httpFigures([bare, limited])
    // Round by round: 0.9, 0.5, 0.95. The ratio of the medians would be 1000 / 2000 = 0.5.
    expect(figures?.ratio).toMatchObject({ median: 0.9, min: 0.5, max: 0.95 })
    expect(figures?.requestsPerSecond?.median).toBe(1000)
  })

  it('divides by the bare app of the same framework', () => {
    const cases = [
      httpCase({ framework: 'express', limiter: 'none', rounds: [httpRound(1000)] }),
      httpCase({ framework: 'koa', limiter: 'none', rounds: [httpRound(400)] }),
      httpCase({ framework: 'koa', limiter: 'peer', verdict: 'reject', rounds: [httpRound(100)] }),
    ]
    expect(httpFigures(cases)[2]?.ratio?.median).toBe(0.25)
  })

  it('gives the bare app a ratio of 1', () => {
    const bare = httpCase({ framework: 'fastify', limiter: 'none', rounds: [httpRound(10), httpRound(30)] })
    expect(httpFigures([bare])[0]?.ratio).toEqual({ median: 1, min: 1, max: 1, spreadPercent: 0 })
  })

  it('gives no ratio, but keeps the other figures, when the bare app failed or did not run', () => {
    const limited = httpCase({ framework: 'koa', limiter: 'spillway-redis', rounds: [httpRound(500, 4)] })
    const failedBare = httpCase({ framework: 'koa', limiter: 'none', rounds: [], error: 'status 500' })
    for (const cases of [[failedBare, limited], [limited]]) {
      const figures = httpFigures(cases).at(-1)
      expect(figures?.ratio).toBeUndefined()
      expect(figures?.requestsPerSecond?.median).toBe(500)
      expect(figures?.redisCpuUsPerRequest?.median).toBe(4)
    }
  })

  it('gives no ratio rather than one over fewer rounds when the bare app failed part-way', () => {
    // runRound keeps the rounds before a failure; a ratio over round 1 alone would pass for a 2-round median.
    const bare = httpCase({ framework: 'express', limiter: 'none', rounds: [httpRound(1000)], error: 'timeout' })
    const limited = httpCase({
      framework: 'express',
      limiter: 'peer',
      rounds: [httpRound(800), httpRound(900)],
    })
    expect(httpFigures([bare, limited])[1]?.ratio).toBeUndefined()
  })

  it('reports a failed case, or one with no rounds, by its error and no figures', () => {
    const failed = httpCase({ framework: 'fastify', limiter: 'peer', rounds: [httpRound(5)], error: '429 expected' })
    const empty = httpCase({ framework: 'fastify', limiter: 'peer-memory', rounds: [] })
    const [first, second] = httpFigures([failed, empty])
    expect(first).toEqual({ config: failed.config, error: '429 expected' })
    expect(second).toEqual({ config: empty.config, error: 'no rounds' })
  })
})

describe('libraryFigures', () => {
  it('summarises decisions/s and Redis CPU per decision over the rounds', () => {
    const [figures] = libraryFigures([libraryCase('rlf', [3e6, 1e6, 2e6], { redis: true, contender: 'peer' })])
    expect(figures).toMatchObject({ label: 'rlf', redis: true, contender: 'peer' })
    expect(figures?.decisionsPerSecond).toMatchObject({ median: 2e6, min: 1e6, max: 3e6 })
    expect(figures?.redisCpuUsPerDecision?.median).toBe(0.5)
  })

  it('reports a failed case, or one with no rounds, by its error and no figures', () => {
    const [failed, empty] = libraryFigures([
      libraryCase('a', [1], { error: 'worker exited' }),
      libraryCase('b', [], { contender: 'ceiling', redis: true }),
    ])
    expect(failed).toEqual({ label: 'a', redis: false, contender: 'spillway', error: 'worker exited' })
    expect(empty).toEqual({ label: 'b', redis: true, contender: 'ceiling', error: 'no rounds' })
  })
})

describe('withSpread', () => {
  it('prints a dash for a figure that is missing', () => {
    expect(withSpread(undefined)).toBe('—')
  })

  it('prints the median with thousands separators and the rounded ± spread', () => {
    expect(withSpread({ median: 12_345.4, min: 12_000, max: 12_700, spreadPercent: 2.8 })).toBe('12,345 ±3%')
  })

  it('prints the digits asked for', () => {
    expect(withSpread({ median: 0.9, min: 0.85, max: 0.95, spreadPercent: 5.6 }, 2)).toBe('0.90 ±6%')
  })

  it('leaves out the spread when every round agrees (or there was one)', () => {
    expect(withSpread({ median: 7, min: 7, max: 7, spreadPercent: 0 })).toBe('7')
  })
})

describe('limiterLabel', () => {
  it("names each framework's own peer, on Redis and in memory, and Spillway's two stores", () => {
    expect(limiterLabel('koa', 'none')).toBe('no limiter')
    expect(limiterLabel('express', 'peer')).toBe('express-rate-limit + rate-limit-redis')
    expect(limiterLabel('fastify', 'peer-memory')).toBe('@fastify/rate-limit (local store)')
    expect(limiterLabel('koa', 'spillway-memory')).toBe('Spillway (MemoryStore)')
    expect(limiterLabel('koa', 'spillway-redis')).toBe('Spillway (RedisStore)')
  })
})
