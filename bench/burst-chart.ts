// Draws docs/burst-chart.svg: one bursty client under a fixed window and under token buckets (Spillway's own math).
// Run from the repository root: node --import tsx bench/burst-chart.ts
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { burstCapacity, createLimiter, MemoryStore, type RefillRate } from '../packages/core/src/index.js'

/** "100 requests per minute", the quota every strategy below is configured with. */
const QUOTA = 100
const WINDOW_S = 60
const RATE: RefillRate = { tokens: QUOTA, per: '1m' }
const DURATION_S = 120
/** The client sends 50 requests per second while bursting: [from, to) in seconds. */
const BURSTS: readonly (readonly [number, number])[] = [
  [58, 70],
  [100, 105],
]
const ATTEMPT_INTERVAL_MS = 20

/** One way to decide: true admits the request sent at `atMs`. */
type Decide = (atMs: number) => boolean

export interface Series {
  readonly label: string
  readonly color: string
  /** Admitted requests in each second 0 … DURATION_S − 1. */
  readonly perSecond: readonly number[]
  readonly total: number
  /** The most admitted in any 10 s, sliding over every request time: what the downstream must absorb. */
  readonly maxIn10s: number
}

/** The request times of the bursty client, in ms. */
function attemptTimesMs(): number[] {
  const times: number[] = []
  for (const [from, to] of BURSTS) {
    for (let at = from * 1000; at < to * 1000; at += ATTEMPT_INTERVAL_MS) times.push(at)
  }
  return times
}

/** A fixed window counter: at most QUOTA per aligned minute, the counter reset at each boundary. */
function fixedWindow(): Decide {
  const counts = new Map<number, number>()
  return (atMs) => {
    const window = Math.floor(atMs / (WINDOW_S * 1000))
    const used = counts.get(window) ?? 0
    if (used >= QUOTA) return false
    counts.set(window, used + 1)
    return true
  }
}

/** Spillway's token bucket (MemoryStore, the clock driven by the simulation). */
function tokenBucket(capacity: number): Decide {
  const clock = { nowUs: 0 }
  const limiter = createLimiter({ capacity, refillRate: RATE, store: new MemoryStore({ clock: () => clock.nowUs }) })
  return (atMs) => {
    clock.nowUs = atMs * 1000
    return limiter.consumeSync('client').allowed
  }
}

function run(label: string, color: string, decide: Decide): Series {
  const perSecond = new Array<number>(DURATION_S).fill(0)
  const admitted: number[] = []
  for (const at of attemptTimesMs()) {
    if (!decide(at)) continue
    admitted.push(at)
    perSecond[Math.floor(at / 1000)] = (perSecond[Math.floor(at / 1000)] ?? 0) + 1
  }
  let maxIn10s = 0
  let start = 0
  for (let end = 0; end < admitted.length; end++) {
    while ((admitted[end] as number) - (admitted[start] as number) >= 10_000) start++
    maxIn10s = Math.max(maxIn10s, end - start + 1)
  }
  return { label, color, perSecond, total: admitted.length, maxIn10s }
}

/**
 * The three strategies on the same client: a fixed window of 100/min, a token bucket of 100/min with B = 100
 * (the same quota), and one sized with `burstCapacity` for 6 s of burst (B = 10).
 */
export function simulate(): Series[] {
  const sized = burstCapacity({ refillRate: RATE, burstSeconds: 6 })
  return [
    run('fixed window, 100 per minute', '#d62728', fixedWindow()),
    run('token bucket, B = 100, R = 100/min', '#1f77b4', tokenBucket(QUOTA)),
    run(`token bucket, B = ${sized} (burstCapacity, 6 s), R = 100/min`, '#2ca02c', tokenBucket(sized)),
  ]
}

const WIDTH = 780
const LEFT = 60
const PLOT_WIDTH = 680
const x = (seconds: number) => LEFT + (seconds / DURATION_S) * PLOT_WIDTH

/** A polyline's points: [seconds, value]. */
type Points = readonly (readonly [number, number])[]

/** One panel: a title, a y axis from 0 to `yMax`, and a polyline per series. */
function panel(top: number, height: number, title: string, yMax: number, lines: [Series, Points][]): string {
  const y = (value: number) => top + height - (value / yMax) * height
  const parts = [`<text x="${LEFT}" y="${top - 10}" font-weight="bold">${title}</text>`]
  for (let tick = 0; tick <= yMax; tick += yMax / 4) {
    parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y(tick)}" y2="${y(tick)}" stroke="#eee"/>`)
    parts.push(`<text x="${LEFT - 8}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`)
  }
  parts.push(
    `<line x1="${x(WINDOW_S)}" x2="${x(WINDOW_S)}" y1="${top}" y2="${top + height}" stroke="#999" stroke-dasharray="4 3"/>`,
  )
  for (const [series, points] of lines) {
    const text = points.map(([second, value]) => `${x(second).toFixed(1)},${y(value).toFixed(1)}`).join(' ')
    parts.push(
      `<polyline fill="none" stroke="${series.color}" stroke-width="2" stroke-opacity="0.85" points="${text}"/>`,
    )
  }
  parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${top + height}" y2="${top + height}" stroke="#333"/>`)
  return parts.join('\n')
}

/** Admitted so far at the end of each second. */
function cumulative(values: readonly number[]): Points {
  const points: [number, number][] = [[0, 0]]
  let sum = 0
  values.forEach((value, second) => {
    sum += value
    points.push([second + 1, sum])
  })
  return points
}

/** Per-second counts drawn as steps: each second's count held from its start to its end. */
function steps(values: readonly number[]): Points {
  return values.flatMap((value, second): [number, number][] => [
    [second, value],
    [second + 1, value],
  ])
}

/** The SVG, deterministic: the same input always gives the same bytes (a test compares it with the file). */
export function renderBurstChart(series: readonly Series[] = simulate()): string {
  const cumulativeMax = 250
  const perSecondMax = 60
  const axis: string[] = []
  for (let second = 0; second <= DURATION_S; second += 10) {
    axis.push(`<text x="${x(second)}" y="528" text-anchor="middle">${second}</text>`)
  }
  const legend = series.map(
    (s, index) =>
      `<rect x="${LEFT}" y="${566 + index * 20}" width="14" height="4" fill="${s.color}"/>` +
      `<text x="${LEFT + 22}" y="${572 + index * 20}">${s.label}: ${s.total} admitted, at most ${s.maxIn10s} in any 10 s</text>`,
  )
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${WIDTH}" height="640" viewBox="0 0 ${WIDTH} 640" font-family="sans-serif" font-size="12">`,
    '<title>Admitted requests over time for one bursty client: a fixed window of 100 per minute against token buckets</title>',
    `<rect width="${WIDTH}" height="640" fill="#fff"/>`,
    panel(
      40,
      200,
      'Admitted requests, cumulative',
      cumulativeMax,
      series.map((s) => [s, cumulative(s.perSecond)]),
    ),
    panel(
      300,
      200,
      'Admitted requests per second',
      perSecondMax,
      series.map((s) => [s, steps(s.perSecond)]),
    ),
    `<text x="${x(WINDOW_S) + 4}" y="52" fill="#666">fixed-window boundary</text>`,
    ...axis,
    `<text x="${LEFT + PLOT_WIDTH / 2}" y="548" text-anchor="middle">seconds (the client sends 50 requests/s during 58–70 s and 100–105 s)</text>`,
    ...legend,
    '</svg>',
    '',
  ].join('\n')
}

export const CHART_PATH = fileURLToPath(new URL('../docs/burst-chart.svg', import.meta.url))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const series = simulate()
  writeFileSync(CHART_PATH, renderBurstChart(series))
  for (const s of series) console.log(`${s.label}: ${s.total} admitted, at most ${s.maxIn10s} in any 10 s`)
  console.log(`wrote ${CHART_PATH}`)
}
