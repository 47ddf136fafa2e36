// What share of the server's busy CPU a limiter takes over real HTTP, from a V8 CPU profile of the server at
// full speed: a within-process figure, so the machine's drift between runs (which moves req/s ratios by
// more than a limiter costs) cancels out. Cases come from one or more checkouts (each built: pnpm build),
// in alternating rounds; server and Redis pinned to CPU 0 and autocannon to CPU 1 where `taskset` exists.
// A share s of a CPU-bound server's time means about (1 − s) of its req/s without the limiter.
// Usage: TSX_TSCONFIG_PATH=bench/tsconfig.json node --import tsx bench/http-profile.ts \
//          <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--seconds S] [--keep DIR]
//   --keep DIR: write the profiles there (open them in Chrome DevTools) instead of a temporary directory
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PINNING_NOTE, parseAbCommandLine, runAbRounds } from './http/ab-rounds.js'
import { checkStatus, runLoad } from './http/load.js'
import { profileLoad } from './http/profiler-control.js'
import { expectedStatus } from './http/server-config.js'
import { medianAndRange as cell } from './stats.js'

const USAGE =
  'usage: node --import tsx bench/http-profile.ts <express|fastify|koa> <checkout>=<limiter>[:admit|reject]... [--rounds N] [--seconds S] [--keep DIR]'
const commandLine = parseAbCommandLine(USAGE, ['keep'])
const { framework, rounds, seconds } = commandLine
const keep = commandLine.values.keep

const profiles = keep ?? mkdtempSync(join(tmpdir(), 'spillway-profile-'))
mkdirSync(profiles, { recursive: true })
const figures = new Map<string, { rps: number[]; busy: number[]; limiter: number[] }>()
try {
  await runAbRounds(commandLine, { serverArgs: ['--profile'] }, async ({ httpCase, round, config, server, load }) => {
    const file = join(profiles, `${httpCase.label.replace(/\W+/g, '-').replace(/^-+/, '')}-${round + 1}.cpuprofile`)
    const { result, share } = await profileLoad(server, file, () => runLoad({ ...load, seconds }))
    checkStatus(result, expectedStatus(config), httpCase.label)
    const entry = figures.get(httpCase.label) ?? { rps: [], busy: [], limiter: [] }
    entry.rps.push(result.requestsPerSecond)
    entry.busy.push(share.busy * 100)
    entry.limiter.push(share.limiter * 100)
    figures.set(httpCase.label, entry)
    console.error(`round ${round + 1}/${rounds}: ${httpCase.label} ${(share.limiter * 100).toFixed(1)} %`)
  })
} finally {
  if (keep === undefined) rmSync(profiles, { recursive: true, force: true })
}

console.log(`${framework} at full speed, profiled ${seconds} s × ${rounds} rounds${PINNING_NOTE}: median (range)`)
console.log('| case | req/s | server busy, % of samples | limiter, % of busy |\n| --- | ---: | ---: | ---: |')
for (const [label, entry] of figures) {
  console.log(`| ${label} | ${cell(entry.rps, 0)} | ${cell(entry.busy, 0)} | ${cell(entry.limiter, 1)} |`)
}
