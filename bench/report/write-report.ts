// Writes benchmarks.md and its SVG charts (in a benchmarks/ folder next to it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchResults } from '../results.js'
import { renderCharts } from './charts.js'
import { httpFigures, inProcessFigures, libraryFigures } from './figures.js'
import { renderMarkdown } from './markdown.js'

/**
 * Renders the results into `<outDir>/benchmarks.md` and `<outDir>/benchmarks/*.svg`; returns the Markdown path.
 *
 * @example
 * ```ts
 * writeReport(results, 'docs')
 * ```
 */
export function writeReport(results: BenchResults, outDir: string): string {
  const http = httpFigures(results.http)
  const library = libraryFigures(results.library)
  const charts = renderCharts(http, library, results.redisBytes, results.heapBytes)
  mkdirSync(join(outDir, 'benchmarks'), { recursive: true })
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(outDir, 'benchmarks', name), svg)
  const markdown = renderMarkdown(
    {
      info: results.info,
      http,
      inProcess: inProcessFigures(results.inProcess ?? []),
      library,
      redisBytes: results.redisBytes,
      heapBytes: results.heapBytes,
      charts: Object.keys(charts),
    },
    'benchmarks',
  )
  const path = join(outDir, 'benchmarks.md')
  writeFileSync(path, markdown)
  writeFileSync(join(outDir, 'benchmarks', 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  return path
}

/**
 * Renders a saved results.json again (`pnpm bench --from`): the page and charts come from the run's figures, never
 * from today's date or machine, so re-rendering the committed results reproduces the committed page.
 *
 * @example
 * ```ts
 * writeReportFrom('docs/benchmarks/results.json', 'bench/out')
 * ```
 */
export function writeReportFrom(resultsPath: string, outDir: string): string {
  return writeReport(JSON.parse(readFileSync(resultsPath, 'utf8')) as BenchResults, outDir)
}
