// rate-limiter-flexible's RateLimiterMemory heap cost per key, measured as bench/memory-store.ts measures Spillway's.
// Run: node --expose-gc --import tsx bench/memory/rlf-heap.ts [N]
import { RateLimiterMemory } from 'rate-limiter-flexible'

const keys = Number(process.argv[2] ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

function heapUsed(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

const limiter = new RateLimiterMemory({ points: 10, duration: 3600 }) // keys live an hour
const before = heapUsed()
for (let i = 0; i < keys; i++) await limiter.consume(`203.0.${(i >> 8) & 0xff}.${i & 0xff}:${i}`)
const after = heapUsed()
console.log(`heap per key:     ${((after - before) / keys).toFixed(1)} bytes`)
process.exit(0) // its per-key timers would keep the process alive for an hour
