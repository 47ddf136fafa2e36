// CPU per request an adapter adds in process, for Spillway from one or more checkouts (each built: pnpm build),
// beside the bare app, an empty middleware, two constant headers and the peer (bench/in-process/variants.ts),
// all in this one process in alternating batches (bench/in-process/drive.ts): an A/B of a change.
// Usage: TSX_TSCONFIG_PATH=bench/tsconfig.json node --import tsx bench/adapter-compare.ts \
//          <express|fastify|koa> <admit|reject> <checkout>... [--rounds N]
import type { RequestListener } from 'node:http'
import { parseArgs } from 'node:util'
import { FRAMEWORKS, type Framework, type FrameworkLimiter, requestHandler } from './http/apps.js'
import { alternateBatches, checkStatus, drive } from './in-process/drive.js'
import { expectedInProcessStatus, inProcessSpec } from './in-process/in-process-case.js'
import { IN_PROCESS_VARIANTS, variantLimiter } from './in-process/variants.js'
import { parseOptions } from './options.js'
import { adapterOptions, type Verdict } from './spillway.js'

const USAGE =
  'usage: node --import tsx bench/adapter-compare.ts <express|fastify|koa> <admit|reject> <checkout>... [--rounds N]'
const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string' } } })
const [framework, verdict, ...checkouts] = positionals as [Framework, Verdict, ...string[]]
if (!FRAMEWORKS.includes(framework) || !['admit', 'reject'].includes(verdict) || checkouts.length === 0) {
  console.error(USAGE)
  process.exit(2)
}
const spec = { ...inProcessSpec({ framework, verdict }, parseOptions([], [])), batches: Number(values.rounds ?? 40) }

/** Spillway's adapter as built in `checkout`, on that checkout's MemoryStore. */
async function checkoutLimiter(checkout: string): Promise<FrameworkLimiter> {
  const { MemoryStore } = await import(`${checkout}/packages/core/dist/index.js`)
  const { rateLimit } = await import(`${checkout}/packages/${framework}/dist/index.js`)
  const options = adapterOptions(verdict, new MemoryStore())
  if (framework === 'fastify') return { framework, plugin: { plugin: rateLimit, options } }
  return { framework, middleware: rateLimit(options) } as FrameworkLimiter
}

const others = IN_PROCESS_VARIANTS.filter((variant) => variant !== 'spillway')
const variants: Array<[string, RequestListener, number]> = [
  ...(await Promise.all(
    others.map(async (variant): Promise<[string, RequestListener, number]> => {
      const handle = await requestHandler(variantLimiter(framework, variant, verdict))
      return [variant, handle, expectedInProcessStatus(variant, verdict)]
    }),
  )),
  ...(await Promise.all(
    checkouts.map(async (checkout): Promise<[string, RequestListener, number]> => {
      const handle = await requestHandler(await checkoutLimiter(checkout))
      return [checkout, handle, expectedInProcessStatus('spillway', verdict)]
    }),
  )),
]
for (const [, handle] of variants) await drive(handle, spec.warmup)
for (const [label, handle, status] of variants) await checkStatus(label, handle, status)
const samples = await alternateBatches(
  variants.map(([, handle]) => handle),
  spec,
)

const sorted = (list: readonly number[]) => [...list].sort((a, b) => a - b)
const at = (list: readonly number[], share: number) => sorted(list)[Math.floor(list.length * share)] as number
const bare = at(samples[0] as number[], 0.5)
console.log(
  `${framework}, ${verdict}: CPU µs per request, median of ${spec.batches} batches of ${spec.batchSize} (quartiles)`,
)
variants.forEach(([label], i) => {
  const values = samples[i] as number[]
  const added = i === 0 ? '' : `  +${(at(values, 0.5) - bare).toFixed(2)}`
  const quartiles = `(${at(values, 0.25).toFixed(2)}–${at(values, 0.75).toFixed(2)})`
  console.log(`  ${label.padEnd(36)} ${at(values, 0.5).toFixed(2).padStart(6)}${added}  ${quartiles}`)
})
