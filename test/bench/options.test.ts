// bench/options.ts: what `pnpm bench …` runs and, above all, where it writes (docs/ only for a full run).
import { describe, expect, it } from 'vitest'
import { frameworkCases, httpCaseId } from '../../bench/http/server-config.js'
import { fixedLoadRate, parseOptions as parse, selected, USAGE } from '../../bench/options.js'

/** Case ids as run.ts lists them: each framework's HTTP cases, a few library cases, memory. */
const CASE_IDS = [
  ...(['express', 'fastify', 'koa'] as const).flatMap((framework) => frameworkCases(framework, 0).map(httpCaseId)),
  'in-process-fastify-admit',
  'library-memory-spillway',
  'library-redis-rlf',
  'memory',
]
const parseOptions = (argv: readonly string[]) => parse(argv, CASE_IDS)

describe('parseOptions', () => {
  it('runs everything, 3 rounds of full length, into docs/ by default', () => {
    expect(parseOptions([])).toEqual({
      quick: false,
      only: [],
      outDir: 'docs',
      rounds: 3,
      warmupSeconds: 1,
      measureSeconds: 4,
      fixedLoadSeconds: 4,
      profileSeconds: 2,
      fixedLoadShare: 1 / 3,
      connections: 100,
      inProcessBatches: 40,
      inProcessWarmup: 20_000,
      redisKeys: 100_000,
      heapKeys: 1_000_000,
      from: undefined,
    })
  })

  it('ignores the `--` that `pnpm bench -- …` passes on', () => {
    expect(parseOptions(['--', '--quick'])).toMatchObject({ quick: true, rounds: 1 })
  })

  it('--quick: one short round with fewer keys, written to bench/out/ so docs/ stays a full run', () => {
    expect(parseOptions(['--quick'])).toMatchObject({
      quick: true,
      outDir: 'bench/out',
      rounds: 1,
      measureSeconds: 2,
      fixedLoadSeconds: 2,
      inProcessBatches: 10,
      redisKeys: 10_000,
      heapKeys: 100_000,
    })
  })

  it('--only: a comma list of case-id prefixes, written to bench/out/', () => {
    const options = parseOptions(['--only', 'http-fastify,,library'])
    expect(options).toMatchObject({ only: ['http-fastify', 'library'], outDir: 'bench/out', rounds: 3 })
    expect(selected(options, 'http-fastify-peer-admit')).toBe(true)
    expect(selected(options, 'library-redis-rlf')).toBe(true)
    expect(selected(options, 'http-koa-none-admit')).toBe(false)
    expect(selected(options, 'memory')).toBe(false)
  })

  it('selects every case when --only is absent', () => {
    expect(selected(parseOptions([]), 'memory')).toBe(true)
  })

  it('--only with a prefix no case id has: an error naming it, with the usage', () => {
    expect(() => parseOptions(['--only', 'http-express,redis'])).toThrow(
      `--only http-express,redis: no case id starts with that\n${USAGE}`,
    )
  })

  it('--only accepts any prefix of a case id, short or long', () => {
    for (const prefix of [
      'h',
      'http-',
      'http-fastify-spillway',
      'http-koa-peer-memory-reject',
      'in-process',
      'library',
      'memory',
    ]) {
      expect(parseOptions(['--only', prefix]).only).toEqual([prefix])
    }
  })

  it('--only rejects a typo inside a family of cases, which would otherwise run nothing', () => {
    for (const prefix of ['http-fastfy', 'library-redis-rlfx', 'memory-x']) {
      expect(() => parseOptions(['--only', prefix])).toThrow(`--only ${prefix}: no case id starts with that`)
    }
  })

  it('--out overrides the directory, for a full run and a partial one', () => {
    expect(parseOptions(['--out', '/tmp/x']).outDir).toBe('/tmp/x')
    expect(parseOptions(['--quick', '--out', 'docs']).outDir).toBe('docs')
  })

  it('--from re-renders into bench/out/ unless --out says docs', () => {
    expect(parseOptions(['--from', 'docs/benchmarks/results.json'])).toMatchObject({
      from: 'docs/benchmarks/results.json',
      outDir: 'bench/out',
    })
    expect(parseOptions(['--from', 'r.json', '--out', 'docs']).outDir).toBe('docs')
  })

  it('rejects a mistyped flag instead of starting a 20-minute full run into docs/', () => {
    expect(() => parseOptions(['--quik'])).toThrow(/--quik/)
  })
})

describe('fixedLoadRate', () => {
  it("is the share of the baseline's peak in whole hundreds of req/s", () => {
    expect(fixedLoadRate(16_335, 1 / 3)).toBe(5400)
    expect(fixedLoadRate(59_761, 1 / 3)).toBe(19_900)
  })

  it('never asks for less than 100 req/s, so a failing baseline still gives a measurable load', () => {
    expect(fixedLoadRate(0, 1 / 3)).toBe(100)
  })
})
