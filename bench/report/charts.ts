// The report's SVG charts: HTTP req/s ratios, CPU per request, library decisions/s, Redis bytes per key.
import type { HeapBytes } from '../memory/heap.js'
import type { RedisBytes } from '../memory/redis-bytes.js'
import { type HttpFigures, type LibraryFigures, limiterLabel, withSpread } from './figures.js'
import { type Bar, type BarChart, COLORS, renderBarChart } from './svg.js'

const FRAMEWORK_NAMES = { express: 'Express', fastify: 'Fastify', koa: 'Koa' } as const

function colorOf(figures: HttpFigures): string {
  if (figures.config.limiter === 'none') return COLORS.bare
  return figures.config.limiter === 'peer' ? COLORS.peer : COLORS.spillway
}

function httpLabel(figures: HttpFigures): string {
  const { framework, limiter, verdict } = figures.config
  return limiter === 'none'
    ? 'no limiter'
    : `${limiterLabel(framework, limiter)}, ${verdict === 'admit' ? 'admitted' : 'rejected'}`
}

/** Chart file name → SVG text, for the figures present. */
export function renderCharts(
  http: readonly HttpFigures[],
  library: readonly LibraryFigures[],
  redisBytes: readonly RedisBytes[] | undefined,
  heapBytes: readonly HeapBytes[] | undefined,
): Record<string, string> {
  const charts: Record<string, BarChart> = {}
  const limited = http.filter((f) => f.config.limiter !== 'none' && f.ratio)
  if (limited.length > 0) charts['http-ratio.svg'] = ratioChart(limited)
  const measured = http.filter((f) => f.serverCpuUsPerRequest)
  if (measured.length > 0) charts['http-cpu.svg'] = cpuChart(measured)
  const decided = library.filter((f) => f.decisionsPerSecond)
  if (decided.length > 0) charts['library.svg'] = libraryChart(decided)
  if (redisBytes || heapBytes) charts['memory.svg'] = memoryChart(redisBytes ?? [], heapBytes ?? [])
  return Object.fromEntries(Object.entries(charts).map(([name, chart]) => [name, renderBarChart(chart)]))
}

function ratioChart(figures: readonly HttpFigures[]): BarChart {
  const bars: Bar[] = figures.map((f) => ({
    group: FRAMEWORK_NAMES[f.config.framework],
    label: httpLabel(f),
    segments: [{ value: f.ratio!.median, color: colorOf(f) }],
    note: withSpread(f.ratio, 2),
  }))
  return { title: 'HTTP req/s relative to the same framework with no limiter (1.0 = dashed line)', bars, reference: 1 }
}

function cpuChart(figures: readonly HttpFigures[]): BarChart {
  const bars: Bar[] = figures.map((f) => {
    const server = f.serverCpuUsPerRequest!.median
    const redis = f.redisCpuUsPerRequest!.median
    return {
      group: FRAMEWORK_NAMES[f.config.framework],
      label: httpLabel(f),
      segments: [
        { value: server, color: colorOf(f) },
        { value: redis, color: COLORS.redis },
      ],
      note: `${Math.round(server)} + ${Math.round(redis)} µs`,
    }
  })
  return {
    title: 'CPU µs per request at a fixed load: server process + redis-server',
    bars,
    legend: [
      { label: 'server (Node process)', color: COLORS.bare },
      { label: 'redis-server', color: COLORS.redis },
    ],
  }
}

function libraryChart(figures: readonly LibraryFigures[]): BarChart {
  const bars: Bar[] = figures.map((f) => ({
    label: f.label.replace(' (ceiling)', ''),
    segments: [
      {
        value: f.decisionsPerSecond!.median / 1000,
        color: f.label.includes('flexible') ? COLORS.peer : COLORS.spillway,
      },
    ],
    note: `${withSpread(f.decisionsPerSecond)} /s`,
  }))
  return { title: 'Library level: decisions per second (100 concurrent callers, 1,000 keys)', bars }
}

function memoryChart(redisBytes: readonly RedisBytes[], heapBytes: readonly HeapBytes[]): BarChart {
  const colorOfLabel = (label: string) => (label.startsWith('Spillway') ? COLORS.spillway : COLORS.peer)
  const bars: Bar[] = [
    ...redisBytes.map((row) => ({
      group: 'Redis: used_memory growth per client',
      label: row.label,
      segments: [{ value: row.bytesPerKey * row.keysPerClient, color: colorOfLabel(row.label) }],
      note: `${Math.round(row.bytesPerKey * row.keysPerClient)} B`,
    })),
    ...heapBytes.map((row) => ({
      group: 'Node heap per key',
      label: row.label,
      segments: [{ value: row.bytesPerKey, color: colorOfLabel(row.label) }],
      note: `${Math.round(row.bytesPerKey)} B`,
    })),
  ]
  return { title: 'Memory per client key (bytes)', bars }
}
