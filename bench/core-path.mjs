// ns per request of core's request path alone (check, record and header merge of one policy, MemoryStore, no
// framework), for one or more checkouts (each built: pnpm build), in one process, in alternating batches.
// Usage: node bench/core-path.mjs <checkout>... [--rounds N]
import { parseArgs } from 'node:util'

const BATCH = 200_000
const { values, positionals: checkouts } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string' } },
})
if (checkouts.length === 0) {
  console.error('usage: node bench/core-path.mjs <checkout>... [--rounds N]')
  process.exit(2)
}
const rounds = Number(values.rounds ?? 20)

/** A request object as an adapter's holder: both fields there from the start, like Fastify's. */
class Request {
  constructor() {
    this.rateLimit = undefined
    this.rateLimitBuckets = undefined
  }
}

async function pathOf(checkout) {
  const { createPolicyStack, createRequestLimiter, mergeHeaderFields } = await import(
    `${checkout}/packages/core/dist/adapter.js`
  )
  const { MemoryStore } = await import(`${checkout}/packages/core/dist/index.js`)
  const limiter = createRequestLimiter({ capacity: 100_000_000, refillRate: 1, store: new MemoryStore() })
  const stack = createPolicyStack([limiter])
  const raw = {}
  let written = 0
  return () => {
    const request = new Request()
    const [outcome] = stack.check(request, '127.0.0.1', raw)
    if (outcome.kind !== 'allowed') throw new Error(`expected an admission, got ${outcome.kind}`)
    limiter.record(outcome, { holder: request, request, response: raw, raw })
    for (const field of mergeHeaderFields(outcome.headers, () => undefined)) written += field.value.length
    return written
  }
}

const variants = await Promise.all(checkouts.map(async (checkout) => [checkout, await pathOf(checkout)]))
for (const [, run] of variants) for (let i = 0; i < BATCH; i++) run()
const samples = new Map(checkouts.map((checkout) => [checkout, []]))
for (let round = 0; round < rounds; round++) {
  for (const [checkout, run] of round % 2 === 0 ? variants : [...variants].reverse()) {
    const started = performance.now()
    for (let i = 0; i < BATCH; i++) run()
    samples.get(checkout).push(((performance.now() - started) * 1e6) / BATCH)
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
console.log(`core request path, ns per request (median of ${rounds} batches of ${BATCH})`)
for (const [checkout, values] of samples) console.log(`  ${checkout.padEnd(40)} ${median(values).toFixed(0)}`)
