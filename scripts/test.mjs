// Runs every test (vitest), then prints one plain line "N passed, N failed" that CI can read.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const report = join(tmpdir(), `spillway-vitest-${process.pid}.json`)
const vitest = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', shell: process.platform === 'win32' },
)

let passed = 0
let failed = 0
if (existsSync(report)) {
  const results = JSON.parse(readFileSync(report, 'utf8'))
  passed = results.numPassedTests
  failed = results.numFailedTests + (results.numRuntimeErrors ?? 0)
  for (const file of results.testResults ?? [])
    if (file.status === 'failed' && file.assertionResults?.length === 0) failed++
  rmSync(report, { force: true })
} else {
  failed = 1
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(vitest.status === 0 && failed === 0 ? 0 : 1)
