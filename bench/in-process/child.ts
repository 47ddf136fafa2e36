// One in-process case: every variant of one framework and verdict in this one process; prints `result <json>`.
// Run: node --import tsx bench/in-process/child.ts '<InProcessSpec as JSON>'   (from the repository root)
import { requestHandler } from '../http/apps.js'
import { summarize } from '../stats.js'
import { alternateBatches, checkStatus, drive } from './drive.js'
import { expectedInProcessStatus, type InProcessRound, type InProcessSpec } from './in-process-case.js'
import { IN_PROCESS_VARIANTS, variantLimiter } from './variants.js'

const spec = JSON.parse(process.argv[2] ?? '') as InProcessSpec
const handles = await Promise.all(
  IN_PROCESS_VARIANTS.map((variant) => requestHandler(variantLimiter(spec.framework, variant, spec.verdict))),
)
for (const handle of handles) await drive(handle, spec.warmup)
for (const [index, variant] of IN_PROCESS_VARIANTS.entries()) {
  await checkStatus(variant, handles[index]!, expectedInProcessStatus(variant, spec.verdict))
}
const samples = await alternateBatches(handles, spec)
const round: InProcessRound = {
  usPerRequest: Object.fromEntries(IN_PROCESS_VARIANTS.map((variant, i) => [variant, summarize(samples[i]!).median])),
} as InProcessRound
console.log(`result ${JSON.stringify(round)}`)
