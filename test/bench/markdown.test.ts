// bench/report/markdown.ts: a run with failed and missing cases still renders, with "failed" or a dash in their cells.
import { describe, expect, it } from 'vitest'
import { renderCharts } from '../../bench/report/charts.js'
import { httpFigures, libraryFigures } from '../../bench/report/figures.js'
import { renderMarkdown } from '../../bench/report/markdown.js'
import { httpCase, httpRound, INFO, libraryCase } from './fixtures.js'

const http = httpFigures([
  httpCase({ framework: 'express', limiter: 'none', rounds: [], error: 'status 500' }),
  httpCase({ framework: 'express', limiter: 'spillway-memory', rounds: [httpRound(1000), httpRound(1000)] }),
  httpCase({ framework: 'koa', limiter: 'none', rounds: [httpRound(400), httpRound(600)] }),
  httpCase({ framework: 'koa', limiter: 'spillway-memory', rounds: [httpRound(200), httpRound(300)] }),
  httpCase({ framework: 'koa', limiter: 'peer-memory', verdict: 'reject', rounds: [], error: 'got 200 | want 429' }),
])
const library = libraryFigures([
  libraryCase('Spillway RedisStore', [1e5, 1e5], { redis: true }),
  libraryCase('rate-limiter-flexible RateLimiterRedis', [], { redis: true, contender: 'peer', error: 'ECONNREFUSED' }),
])
const charts = Object.keys(renderCharts(http, library, undefined, undefined))
const page = renderMarkdown({ info: INFO, http, inProcess: [], library, charts }, 'benchmarks')
const lines = page.split('\n')
const row = (start: string) => lines.find((line) => line.startsWith(start))

describe('renderMarkdown with failed and missing cases', () => {
  it('heads the side-by-side table with the frameworks that ran, in their usual order', () => {
    expect(row('| Limiter |')).toBe('| Limiter | Express ratio | Express CPU µs | Koa ratio | Koa CPU µs |')
  })

  it('shows a failed bare app as failed, and the ratios that need it as a dash', () => {
    // Koa: 400 and 600 req/s → 500 ±20%; ratios 0.5 and 0.5.
    expect(row('| no limiter (req/s) |')).toBe('| no limiter (req/s) | failed | — | 500 ±20% | 2083 + 1 |')
    expect(row('| Spillway MemoryStore, admitted |')).toBe(
      '| Spillway MemoryStore, admitted | — | 1000 + 1 | 0.50 | 4167 + 1 |',
    )
  })

  it('shows a case that did not run as dashes, and one that failed as failed', () => {
    expect(row('| usual peer (Redis), admitted |')).toBe('| usual peer (Redis), admitted | — | — | — | — |')
    expect(row('| usual peer (in memory), rejected |')).toBe(
      '| usual peer (in memory), rejected | — | — | failed | — |',
    )
  })

  it('gives a failed case its error in the full table, with pipes that cannot break the table', () => {
    expect(row('| Koa | koa-ratelimit (memory driver) |')).toBe(
      '| Koa | koa-ratelimit (memory driver) | rejected | failed: got 200 / want 429 | | | | | |',
    )
    expect(row('| Express | Spillway (MemoryStore) |')).toBe(
      '| Express | Spillway (MemoryStore) | admitted | 1,000 | — | 1,000 | 1.0 | 2,000/s | 100 % |',
    )
    expect(row('| rate-limiter-flexible RateLimiterRedis |')).toBe(
      '| rate-limiter-flexible RateLimiterRedis | failed: ECONNREFUSED | |',
    )
  })

  it('links only the charts that were drawn', () => {
    expect(page).toContain('![req/s ratio to no limiter](benchmarks/http-ratio.svg)')
    expect(page).toContain('![decisions per second on Redis](benchmarks/library-redis.svg)')
    expect(page).not.toContain('library-memory.svg')
    expect(page).not.toContain('## Memory')
  })

  it('takes the run facts from the results, not from today', () => {
    expect(page).toContain('Measured on 2030-01-02 with `pnpm bench --quick` in 10 min: 2 × Test CPU')
    expect(page).toContain('Each case ran in 2 round(s)')
  })
})
