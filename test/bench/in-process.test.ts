// The in-process cases: the driver checks every status, a real child measures every variant, the report states what each adds.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { RequestListener } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkStatus } from '../../bench/in-process/drive.js'
import { measureInProcessCase } from '../../bench/in-process/in-process-case.js'
import { httpFigures, inProcessFigures } from '../../bench/report/figures.js'
import { renderMarkdown } from '../../bench/report/markdown.js'
import { writeReport } from '../../bench/report/write-report.js'
import { httpCase, httpRound, INFO, inProcessCase, inProcessRound } from './fixtures.js'

describe('checkStatus', () => {
  const answering =
    (status: number, end = true): RequestListener =>
    (_request, response) => {
      response.statusCode = status
      if (end) response.end('x')
    }

  it('passes an app whose every response has the status and ended', async () => {
    await expect(checkStatus('ok', answering(429), 429, 50)).resolves.toBeUndefined()
  })

  it('fails on a wrong status, naming the variant and what it got', async () => {
    await expect(checkStatus('peer', answering(500), 429, 50)).rejects.toThrow('peer: expected 429, got 500')
  })

  it('fails on a response that never ended (a hung request is not a cheap one)', async () => {
    await expect(checkStatus('spillway', answering(200, false), 200, 50)).rejects.toThrow('(ended: false)')
  })
})

describe('measureInProcessCase, for real', () => {
  it('measures every variant of a framework in one child process, after checking their statuses', async () => {
    const round = await measureInProcessCase({
      framework: 'fastify',
      verdict: 'reject',
      batches: 2,
      batchSize: 200,
      warmup: 500,
    })
    expect(Object.keys(round.usPerRequest).sort()).toEqual(['empty', 'headers', 'none', 'peer', 'spillway'])
    for (const us of Object.values(round.usPerRequest)) {
      expect(us).toBeGreaterThan(0)
      expect(us).toBeLessThan(10_000)
    }
  }, 60_000)
})

describe('the in-process figures and their table', () => {
  const rounds = [
    inProcessRound(2, { empty: 0.1, headers: 0.5, peer: 1.2, spillway: 1.4 }),
    inProcessRound(3, { empty: 0.1, headers: 0.7, peer: 1.0, spillway: 1.6 }),
    inProcessRound(2.5, { empty: 0.1, headers: 0.6, peer: 3.0, spillway: 1.5 }),
  ]
  const figures = inProcessFigures([
    inProcessCase('fastify', 'admit', rounds),
    inProcessCase('koa', 'reject', [], 'koa: expected 429, got 200 | twice'),
  ])

  it("takes each variant's difference to the bare app of the same round, not of the medians", () => {
    const [fastify] = figures
    expect(fastify?.bare?.median).toBe(2.5)
    expect(fastify?.added?.spillway.median).toBeCloseTo(1.5)
    expect(fastify?.added?.spillway.min).toBeCloseTo(1.4)
    expect(fastify?.added?.peer.max).toBeCloseTo(3.0)
  })

  const page = renderMarkdown({ info: INFO, http: [], inProcess: figures, library: [], charts: [] }, 'benchmarks')
  const row = (start: string) => page.split('\n').find((line) => line.startsWith(start))

  it('writes one row per case: the bare app, then what each variant adds with the range of the rounds', () => {
    expect(row('| Fastify, admitted |')).toBe(
      '| Fastify, admitted | 2.50 ±20% | +0.10 | +0.60 (0.50–0.70) | +1.20 (1.00–3.00) | +1.50 (1.40–1.60) |',
    )
    expect(page).toContain('in 10 alternating batches each')
  })

  it("shows a failed case's error, with pipes that cannot break the table", () => {
    expect(row('| Koa, rejected |')).toBe('| Koa, rejected | failed: koa: expected 429, got 200 / twice | | | | |')
  })

  it("gives what each limiter adds as a share of the bare app's server CPU per request over HTTP", () => {
    // 25 000 req/s in the middle round: 40 µs of server CPU per request (fixtures' httpRound).
    const bareRounds = [httpRound(20_000), httpRound(25_000), httpRound(50_000)]
    const http = httpFigures([httpCase({ framework: 'fastify', limiter: 'none', rounds: bareRounds })])
    const withHttp = renderMarkdown({ info: INFO, http, inProcess: figures, library: [], charts: [] }, 'benchmarks')
    const shareRow = withHttp.split('\n').filter((line) => line.startsWith('| Fastify, admitted |'))[1]
    expect(shareRow).toBe('| Fastify, admitted | 40 | 3.0 % | 3.8 % |')
    // No HTTP figures, or no bare case for the framework: no share to give (no section, no row).
    expect(page).not.toContain('### Of a whole request over HTTP')
    const koa = inProcessFigures([inProcessCase('koa', 'admit', rounds)])
    const noKoaBare = renderMarkdown({ info: INFO, http, inProcess: koa, library: [], charts: [] }, 'benchmarks')
    expect(noKoaBare).toContain('| Koa, admitted | 2.50 ±20% |')
    expect(noKoaBare).not.toContain('### Of a whole request over HTTP')
  })

  it("adds each limiter's profiled share of the server's busy CPU over HTTP where the run profiled it", () => {
    const bareRounds = [httpRound(20_000), httpRound(25_000), httpRound(50_000)]
    const profiled = (limiter: 'peer-memory' | 'spillway-memory', shares: number[]) =>
      httpCase({
        framework: 'fastify',
        limiter,
        rounds: shares.map((limiterBusyPercent) => ({ ...httpRound(20_000), limiterBusyPercent })),
      })
    const http = httpFigures([
      httpCase({ framework: 'fastify', limiter: 'none', rounds: bareRounds }),
      profiled('peer-memory', [6.8, 6.5, 7.0]),
      profiled('spillway-memory', [5.9, 6.3, 6.0]),
    ])
    const info = { ...INFO, profileSeconds: 2 }
    const inProcess = inProcessFigures([
      inProcessCase('fastify', 'admit', rounds),
      inProcessCase('fastify', 'reject', rounds),
    ])
    const withHttp = renderMarkdown({ info, http, inProcess, library: [], charts: [] }, 'benchmarks')
    const rows = withHttp.split('\n').filter((line) => line.startsWith('| Fastify, '))
    expect(rows).toContain('| Fastify, admitted | 40 | 3.0 % | 3.8 % | 6.8 % (6.5–7.0) | 6.0 % (5.9–6.3) |')
    // The rejected case was not profiled in this run: no figure rather than another case's.
    expect(rows).toContain('| Fastify, rejected | 40 | 3.0 % | 3.8 % | — | — |')
    expect(withHttp).toContain('profiler on (every 100 µs, 2 s at the end of its round')
  })

  it('leaves the section out of results written before it existed (no inProcess field)', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'spillway-in-process-'))
    try {
      const withIt = readFileSync(
        writeReport({ info: INFO, http: [], inProcess: [inProcessCase('koa', 'admit', rounds)], library: [] }, outDir),
        'utf8',
      )
      expect(withIt).toContain('## In process')
      const old = readFileSync(writeReport({ info: INFO, http: [], library: [] }, outDir), 'utf8')
      expect(old).not.toContain('## In process')
    } finally {
      rmSync(outDir, { recursive: true, force: true })
    }
  })
})
