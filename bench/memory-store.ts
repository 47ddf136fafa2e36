// Measures MemoryStore's heap cost per bucket: fill it with N distinct keys, then compare heapUsed.
// Run: pnpm --filter @spillway/bench memory [-- N]
import { createLimiter, MemoryStore } from '../packages/core/src/index.js'

const keys = Number(process.argv[2] ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

function heapUsed(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

const store = new MemoryStore({ maxKeys: keys })
// A refill slow enough that no bucket is full again during the run, so none is forgotten.
const limiter = createLimiter({ capacity: 10, refillRate: { tokens: 10, per: '1h' }, store })
const before = heapUsed()
const started = performance.now()
for (let i = 0; i < keys; i++) await limiter.consume(`203.0.${(i >> 8) & 0xff}.${i & 0xff}:${i}`)
const elapsedMs = performance.now() - started
const after = heapUsed()

console.log(`keys held:        ${store.size.toLocaleString('en')}`)
console.log(
  `heap per key:     ${((after - before) / store.size).toFixed(1)} bytes (key strings ~${`203.0.0.0:${keys}`.length} chars)`,
)
console.log(
  `decisions/s:      ${Math.round(keys / (elapsedMs / 1000)).toLocaleString('en')} (single-threaded, in-process)`,
)
