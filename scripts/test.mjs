// Runs every test (vitest), then prints one plain line "N passed, N failed" that CI can read.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

ensureRedis()

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

/**
 * The Redis suites start their own redis-server and redis-cli processes: install them when this machine
 * can (root with apt-get, as CI does), or stop at once with the one command to run. Never skip.
 */
function ensureRedis() {
  const missing = ['redis-server', 'redis-cli'].filter((tool) => !onPath(tool))
  if (missing.length === 0) return
  const install = 'apt-get update && apt-get install -y --no-install-recommends redis-server redis-tools'
  if (process.getuid?.() === 0 && onPath('apt-get')) {
    console.log(`${missing.join(' and ')} not found: installing (${install})`)
    const done = spawnSync('sh', ['-c', install], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
    if (done.status === 0 && ['redis-server', 'redis-cli'].every(onPath)) return
  }
  console.error(`${missing.join(' and ')} not found. Install the Debian packages first, as root:\n  ${install}`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}

function onPath(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0
}
