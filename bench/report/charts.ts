// The report's SVG charts: HTTP req/s ratios, CPU per request, library decisions/s, Redis bytes per key.
import { FRAMEWORK_NAMES } from '../http/apps.js'
import { isPeer, usesRedis } from '../http/server-config.js'
import type { HeapBytes } from '../memory/heap.js'
import type { RedisBytes } from '../memory/redis-bytes.js'
import { type HttpFigures, type LibraryFigures, limiterLabel, withSpread } from './figures.js'
import { type Bar, type BarChart, COLORS, renderBarChart } from './svg.js'

function colorOf(figures: HttpFigures): string {
  if (figures.config.limiter === 'none') return COLORS.bare
  return isPeer(figures.config.limiter) ? COLORS.peer : COLORS.spillway
}

/** `Fastify, in memory` (the bare app too) or `Fastify, on Redis`: each peer sits next to Spillway on the same kind of store. */
function groupOf(figures: HttpFigures): string {
  const { framework, limiter } = figures.config
  return `${FRAMEWORK_NAMES[framework]}, ${usesRedis(limiter) ? 'on Redis' : 'in memory'}`
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
  // Two charts: on one scale, Redis's ~10⁵ decisions/s would be invisible next to memory's ~10⁶–10⁷.
  for (const redis of [false, true]) {
    const decided = library.filter((f) => f.decisionsPerSecond && f.redis === redis)
    if (decided.length > 0) charts[redis ? 'library-redis.svg' : 'library-memory.svg'] = libraryChart(decided, redis)
  }
  if (redisBytes || heapBytes) charts['memory.svg'] = memoryChart(redisBytes ?? [], heapBytes ?? [])
  return Object.fromEntries(Object.entries(charts).map(([name, chart]) => [name, renderBarChart(chart)]))
}

function ratioChart(figures: readonly HttpFigures[]): BarChart {
  const bars: Bar[] = figures.map((f) => ({
    group: groupOf(f),
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
      group: groupOf(f),
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

function libraryChart(figures: readonly LibraryFigures[], redis: boolean): BarChart {
  const colors = { spillway: COLORS.spillway, peer: COLORS.peer, ceiling: COLORS.bare } as const
  const bars: Bar[] = figures.map((f) => ({
    label:
      f.contender === 'ceiling'
        ? `ceiling: ${f.label.replace(/^redis-benchmark -P \d+, | \(ceiling\)$/g, '')}`
        : f.label,
    segments: [{ value: f.decisionsPerSecond!.median / 1000, color: colors[f.contender] }],
    note: `${withSpread(f.decisionsPerSecond)} /s`,
  }))
  return {
    title: `Library level, ${redis ? 'on Redis' : 'in memory'}: decisions per second over 1,000 keys`,
    bars,
    legend: [
      { label: 'Spillway', color: COLORS.spillway },
      { label: 'rate-limiter-flexible', color: COLORS.peer },
      ...(redis ? [{ label: 'redis-benchmark', color: COLORS.bare }] : []),
    ],
  }
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
