// Measures MemoryStore's memory per bucket (short and longest keys) and the worst case of one store at its bound.
// Run: pnpm --filter @spillway/bench memory [N [maxKeys]]    (N keys per measurement, default 1 000 000;
// maxKeys for the worst case, default DEFAULT_MAX_KEYS)
import { createLimiter, DEFAULT_MAX_KEYS, MemoryStore } from '../packages/core/src/index.js'

const args = process.argv.slice(2).filter((arg) => arg !== '--') // pnpm passes the `--` through
const keyCount = Number(args[0] ?? 1_000_000)
const worstMaxKeys = Number(args[1] ?? DEFAULT_MAX_KEYS)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

/** Policy name and key shapes: what a bucket costs depends on the length (and width) of both. */
interface Shape {
  readonly label: string
  readonly policyName: string
  readonly key: (i: number) => string
}

const LONGEST_NAME = 'p'.repeat(64) // policy names are 1–64 ASCII characters
const shapes: readonly Shape[] = [
  {
    label: 'IPv4 key, policy "default"',
    policyName: 'default',
    key: (i) => `${10 + (i >>> 24)}.${(i >>> 16) & 0xff}.${(i >>> 8) & 0xff}.${i & 0xff}`,
  },
  // Core hashes keys over 128 characters into 51, so 128 is the longest key a store holds.
  { label: '128-char Latin-1 key, 64-char name', policyName: LONGEST_NAME, key: (i) => `${i}`.padStart(128, 'k') },
  { label: '128-char UTF-16 key, 64-char name', policyName: LONGEST_NAME, key: (i) => `${i}`.padStart(128, 'ж') },
]

/** Heap and typed-array memory in use after full collections (MemoryStore keeps bucket times in typed arrays). */
function memoryInUse(): number {
  gc?.()
  gc?.()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

interface Measurement {
  readonly bytesPerBucket: number
  readonly buckets: number
  readonly decisionsPerSecond: number
}

/** Sends `sent` distinct keys of one shape through a store bounded at `maxKeys`; measures what it holds then. */
async function measure(shape: Shape, maxKeys: number, sent: number): Promise<Measurement> {
  const before = memoryInUse()
  const store = new MemoryStore({ maxKeys })
  // A refill slow enough that no bucket is full again during the run, so none is forgotten but by the bound.
  const limiter = createLimiter({ name: shape.policyName, capacity: 10, refillRate: { tokens: 10, per: '1h' }, store })
  const started = performance.now()
  for (let i = 0; i < sent; i++) await limiter.consume(shape.key(i))
  const elapsedMs = performance.now() - started
  const bytes = memoryInUse() - before
  const buckets = store.size
  await store.close()
  return { bytesPerBucket: bytes / buckets, buckets, decisionsPerSecond: sent / (elapsedMs / 1000) }
}

function print(label: string, m: Measurement): void {
  const mb = (m.bytesPerBucket * m.buckets) / 1e6
  console.log(
    `${label.padEnd(64)} ${m.bytesPerBucket.toFixed(0).padStart(4)} B/bucket × ${m.buckets.toLocaleString('en')} = ${mb.toFixed(1)} MB` +
      `  (${Math.round(m.decisionsPerSecond).toLocaleString('en')} decisions/s)`,
  )
}

console.log(`MemoryStore, Node ${process.version}: heap + typed arrays after gc, per bucket held`)
for (const [index, shape] of shapes.entries()) {
  const m = await measure(shape, keyCount, keyCount)
  print(`${shape.label}, ${keyCount.toLocaleString('en')} keys`, m)
  // The line `pnpm bench` reads (bench/memory/heap.ts): the first shape, an IPv4 key.
  if (index === 0) console.log(`heap per key:     ${m.bytesPerBucket.toFixed(1)} bytes`)
}
// The worst case of one store: its bound, the widest keys, after a flood of 3 × maxKeys distinct keys
// (evictions leave deleted entries behind, and the Map's table may double to make room for them).
const widest = shapes[2] as Shape
print(
  `worst case: maxKeys ${worstMaxKeys.toLocaleString('en')}, ${widest.label}, after 3 × maxKeys`,
  await measure(widest, worstMaxKeys, 3 * worstMaxKeys),
)
