// Hand-written horizontal bar charts as SVG: one row per bar, optional stacked segments and group headings.

export interface Segment {
  readonly value: number
  readonly color: string
}

export interface Bar {
  readonly label: string
  readonly segments: readonly Segment[]
  /** Text after the bar, e.g. `0.62 ±3%`. */
  readonly note: string
  /** A heading row is drawn whenever the group changes. */
  readonly group?: string
}

export interface BarChart {
  readonly title: string
  readonly bars: readonly Bar[]
  readonly legend?: readonly { label: string; color: string }[]
  /** A dashed vertical line at this value, e.g. 1.0 for "as fast as no limiter". */
  readonly reference?: number
}

export const COLORS = { spillway: '#2f6fb3', peer: '#b36b2f', bare: '#888888', redis: '#d9a441' } as const

const WIDTH = 760
const LABEL_WIDTH = 300
const BAR_WIDTH = 340
const ROW = 22
const TOP = 40

/**
 * Renders the chart as a standalone SVG document.
 *
 * @example
 * ```ts
 * writeFileSync('chart.svg', renderBarChart({ title: 'req/s', bars: [{ label: 'a', segments: [{ value: 1, color: '#000' }], note: '1' }] }))
 * ```
 */
export function renderBarChart(chart: BarChart): string {
  const max = Math.max(chart.reference ?? 0, ...chart.bars.map((bar) => total(bar))) || 1
  const scale = (value: number) => (value / max) * BAR_WIDTH
  const rows: string[] = []
  let y = TOP
  let group: string | undefined
  for (const bar of chart.bars) {
    if (bar.group !== undefined && bar.group !== group) {
      group = bar.group
      y += 6
      rows.push(text(8, y + 15, group, 'font-weight="bold"'))
      y += ROW
    }
    rows.push(barRow(bar, y, scale))
    y += ROW
  }
  const height = y + 10 + (chart.legend ? ROW : 0)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(8, 22, chart.title, 'font-size="14" font-weight="bold"'),
    ...rows,
  ]
  if (chart.reference !== undefined) {
    const x = (LABEL_WIDTH + scale(chart.reference)).toFixed(1)
    parts.push(`<line x1="${x}" y1="${TOP}" x2="${x}" y2="${y}" stroke="#444" stroke-dasharray="4 3"/>`)
  }
  if (chart.legend) parts.push(legendRow(chart.legend, y + 8))
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

function barRow(bar: Bar, y: number, scale: (value: number) => number): string {
  let x = LABEL_WIDTH
  const rects = bar.segments.map((segment) => {
    const width = Math.max(0, scale(segment.value))
    const rect = `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${width.toFixed(1)}" height="${ROW - 8}" fill="${segment.color}"/>`
    x += width
    return rect
  })
  return [text(16, y + 15, bar.label), ...rects, text(Math.round(x + 6), y + 15, bar.note)].join('\n')
}

function legendRow(legend: readonly { label: string; color: string }[], y: number): string {
  return legend
    .map(({ label, color }, i) => {
      const x = LABEL_WIDTH + i * 170
      return `<rect x="${x}" y="${y + 2}" width="12" height="12" fill="${color}"/>\n${text(x + 18, y + 13, label)}`
    })
    .join('\n')
}

function total(bar: Bar): number {
  return bar.segments.reduce((sum, segment) => sum + segment.value, 0)
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x}" y="${y}"${attributes ? ` ${attributes}` : ''}>${escapeXml(content)}</text>`
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
