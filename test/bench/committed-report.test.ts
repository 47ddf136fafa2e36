// docs/benchmarks.md and its charts are generated: re-rendering the committed results.json the way
// `pnpm bench --from docs/benchmarks/results.json --out docs` does must give back the committed files, byte for byte.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseOptions } from '../../bench/options.js'
import { writeReportFrom } from '../../bench/report/write-report.js'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const docs = join(root, 'docs')
const outDir = mkdtempSync(join(tmpdir(), 'spillway-bench-report-'))
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

const REGENERATE = 'regenerate it: pnpm bench --from docs/benchmarks/results.json --out docs'

describe('the committed benchmark report', () => {
  let written: string
  beforeAll(() => {
    const options = parseOptions(['--from', join(docs, 'benchmarks', 'results.json'), '--out', outDir], [])
    written = writeReportFrom(options.from!, options.outDir)
  })

  it('writes benchmarks.md where --out says', () => {
    expect(written).toBe(join(outDir, 'benchmarks.md'))
  })

  it('docs/benchmarks.md is the page the generator renders from results.json', () => {
    const committed = readFileSync(join(docs, 'benchmarks.md'), 'utf8')
    expect(readFileSync(written, 'utf8'), REGENERATE).toBe(committed)
  })

  it('docs/benchmarks/ holds exactly the charts it renders, and results.json as it writes it', () => {
    const committed = readdirSync(join(docs, 'benchmarks')).sort()
    expect(readdirSync(join(outDir, 'benchmarks')).sort(), REGENERATE).toEqual(committed)
    for (const name of committed) {
      const rendered = readFileSync(join(outDir, 'benchmarks', name), 'utf8')
      expect(rendered, `docs/benchmarks/${name}: ${REGENERATE}`).toBe(
        readFileSync(join(docs, 'benchmarks', name), 'utf8'),
      )
    }
  })

  it('links every chart it renders', () => {
    const page = readFileSync(written, 'utf8')
    for (const name of readdirSync(join(outDir, 'benchmarks')).filter((file) => file.endsWith('.svg'))) {
      expect(page).toContain(`](benchmarks/${name})`)
    }
  })
})
