// bench/report/charts.ts and svg.ts: which charts a run gets, and bars drawn to scale with their notes.
import { describe, expect, it } from 'vitest'
import { renderCharts } from '../../bench/report/charts.js'
import { httpFigures, libraryFigures } from '../../bench/report/figures.js'
import { type BarChart, COLORS, renderBarChart } from '../../bench/report/svg.js'
import { httpCase, httpRound, libraryCase } from './fixtures.js'

/** The `<rect>` bars of an SVG (the background rect has no x), as [x, width, fill]. */
function bars(svg: string): [number, number, string][] {
  return [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="14" fill="([^"]+)"\/>/g)].map(
    ([, x, width, fill]) => [Number(x), Number(width), fill as string],
  )
}

const texts = (svg: string) => [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map(([, content]) => content)

describe('renderBarChart', () => {
  const chart = (overrides: Partial<BarChart>): BarChart => ({
    title: 'req/s',
    bars: [
      { label: 'a', segments: [{ value: 2, color: '#111' }], note: '2' },
      { label: 'b', segments: [{ value: 1, color: '#222' }], note: '1' },
    ],
    ...overrides,
  })

  it('draws the longest bar full width and the others to scale, after the labels', () => {
    expect(bars(renderBarChart(chart({})))).toEqual([
      [300, 340, '#111'],
      [300, 170, '#222'],
    ])
  })

  it('stacks segments end to end and scales by their total', () => {
    const svg = renderBarChart(
      chart({
        bars: [
          {
            label: 'server + redis',
            segments: [
              { value: 3, color: '#111' },
              { value: 1, color: '#222' },
            ],
            note: '3 + 1',
          },
        ],
      }),
    )
    expect(bars(svg)).toEqual([
      [300, 255, '#111'],
      [555, 85, '#222'],
    ])
    expect(svg).toContain('<text x="646" y="55">3 + 1</text>')
  })

  it('puts the dashed reference line at its value, and lets it set the scale when it is the largest', () => {
    const svg = renderBarChart(chart({ reference: 4 }))
    expect(svg).toMatch(/<line x1="640.0" [^>]*stroke-dasharray/)
    expect(bars(svg)[0]).toEqual([300, 170, '#111'])
    expect(renderBarChart(chart({ reference: 1 }))).toMatch(/<line x1="470.0" /)
  })

  it('writes a group heading each time the group changes, not per bar', () => {
    const svg = renderBarChart(
      chart({
        bars: [
          { group: 'Koa', label: 'x', segments: [], note: '' },
          { group: 'Koa', label: 'y', segments: [], note: '' },
          { group: 'Express', label: 'z', segments: [], note: '' },
        ],
      }),
    )
    expect(texts(svg).filter((t) => t === 'Koa' || t === 'Express')).toEqual(['Koa', 'Express'])
  })

  it('escapes labels and titles for XML', () => {
    const svg = renderBarChart(chart({ title: 'a < b & c', bars: [{ label: '<x>', segments: [], note: '' }] }))
    expect(svg).toContain('<title>a &lt; b &amp; c</title>')
    expect(svg).toContain('>&lt;x&gt;</text>')
  })

  it('draws zero and negative values as empty bars, not NaN or negative widths', () => {
    const svg = renderBarChart(
      chart({
        bars: [
          { label: 'zero', segments: [{ value: 0, color: '#111' }], note: '0' },
          { label: 'negative', segments: [{ value: -1, color: '#222' }], note: '-1' },
        ],
      }),
    )
    expect(svg).not.toContain('NaN')
    expect(bars(svg).map(([, width]) => width)).toEqual([0, 0])
  })

  it('grows the picture by a row for the legend', () => {
    const height = (svg: string) => Number(svg.match(/height="(\d+)"/)?.[1])
    const withLegend = renderBarChart(chart({ legend: [{ label: 'Spillway', color: COLORS.spillway }] }))
    expect(height(withLegend) - height(renderBarChart(chart({})))).toBe(22)
    expect(texts(withLegend)).toContain('Spillway')
  })
})

describe('renderCharts', () => {
  const http = httpFigures([
    httpCase({ framework: 'fastify', limiter: 'none', rounds: [httpRound(2000), httpRound(4000)] }),
    httpCase({ framework: 'fastify', limiter: 'peer', rounds: [httpRound(1000), httpRound(3000)] }),
    httpCase({ framework: 'fastify', limiter: 'spillway-redis', rounds: [httpRound(1500), httpRound(2000)] }),
    httpCase({ framework: 'koa', limiter: 'spillway-memory', rounds: [httpRound(100), httpRound(100)] }),
  ])
  const library = libraryFigures([
    libraryCase('Spillway MemoryStore', [2e6]),
    libraryCase('Spillway RedisStore', [1e5], { redis: true }),
    libraryCase('redis-benchmark -P 16, tokenBucketScript (ceiling)', [2e5], { redis: true, contender: 'ceiling' }),
    libraryCase('broken', [], { redis: true, error: 'exit 1' }),
  ])

  it('charts the ratios of the limited cases that have one, each with its ± note', () => {
    const svg = renderCharts(http, [], undefined, undefined)['http-ratio.svg']!
    // Koa has no bare app here: no ratio, no bar. Fastify's peer: 0.5 and 0.75 → 0.63 ±20%; Spillway 0.75, 0.5.
    expect(texts(svg)).toEqual(
      expect.arrayContaining([
        'Fastify, on Redis',
        '@fastify/rate-limit (Redis store), admitted',
        '0.63 ±20%',
        'Spillway (RedisStore), admitted',
      ]),
    )
    expect(texts(svg)).not.toContain('no limiter')
    expect(texts(svg)).not.toContain('Koa, in memory')
    expect(bars(svg).map(([, , fill]) => fill)).toEqual([COLORS.peer, COLORS.spillway])
  })

  it('charts server and Redis CPU per request for every measured case, the bare app included', () => {
    const svg = renderCharts(http, [], undefined, undefined)['http-cpu.svg']!
    // Server CPU is 10⁶ / req/s in each round of the fixture: the bare app's median of 500 and 250 µs is 375.
    expect(texts(svg)).toEqual(expect.arrayContaining(['no limiter', '375 + 1 µs', 'Koa, in memory']))
    expect(bars(svg)).toHaveLength(8)
  })

  it('draws no ratio chart when no limited case has a ratio, instead of failing', () => {
    const koaOnly = http.filter((f) => f.config.framework === 'koa')
    expect(Object.keys(renderCharts(koaOnly, [], undefined, undefined))).toEqual(['http-cpu.svg'])
  })

  it('splits the library level into memory and Redis charts, leaving failed cases out', () => {
    const charts = renderCharts([], library, undefined, undefined)
    expect(Object.keys(charts).sort()).toEqual(['library-memory.svg', 'library-redis.svg'])
    expect(texts(charts['library-redis.svg']!)).toEqual(
      expect.arrayContaining(['Spillway RedisStore', 'ceiling: tokenBucketScript', '200,000 /s']),
    )
    expect(charts['library-redis.svg']).not.toContain('broken')
  })

  it('charts memory per client key when either memory figure is present', () => {
    const redisBytes = [{ label: 'Spillway RedisStore', bytesPerKey: 100, memoryUsageOfOneKey: 72, keysPerClient: 2 }]
    const svg = renderCharts([], [], redisBytes, undefined)['memory.svg']!
    expect(texts(svg)).toEqual(expect.arrayContaining(['Redis: used_memory growth per client', '200 B']))
    expect(Object.keys(renderCharts([], [], undefined, [{ label: 'x', bytesPerKey: 96 }]))).toEqual(['memory.svg'])
    expect(renderCharts([], [], undefined, undefined)).toEqual({})
  })
})
