// MemoryStore.consumeAllSync (two policies of one client, all-or-nothing) of two built checkouts in one process:
// alternating batches, median of per-batch ratios, admitted and rejected. The decision math is core's decideTogetherAt.
// Usage: node bench/all-or-nothing-compare.mjs <before-checkout> <after-checkout>
import { resolve } from 'node:path'

const BATCH = 200_000
const BATCHES = 30

async function subject(dir) {
  const core = await import(resolve(dir, 'packages/core/dist/index.js'))
  const kit = await import(resolve(dir, 'packages/core/dist/store.js'))
  const policy = (name, capacity, refillRate) => kit.createPolicy({ name, capacity, refillRate })
  const app = policy('app', 1e8, 1)
  const route = policy('route', 1e8, 1)
  const tight = policy('tight', 1, { tokens: 1, per: '1h' }) // cost 2 never fits: every decision rejects
  const keys = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)
  const stepsOf = (second, cost) => (key) => [
    { key: kit.storeKey('app', key), policy: app, cost: 1 },
    { key: kit.storeKey(second.name, key), policy: second, cost },
  ]
  return {
    store: new core.MemoryStore(),
    admit: keys.map(stepsOf(route, 1)),
    reject: keys.map(stepsOf(tight, 2)),
  }
}

/** Decisions per second of one batch. */
function batch(s, verdict) {
  const requests = s[verdict]
  const started = performance.now()
  for (let i = 0; i < BATCH; i++) s.store.consumeAllSync(requests[i % requests.length])
  return BATCH / ((performance.now() - started) / 1000)
}

const [beforeDir, afterDir] = process.argv.slice(2)
if (!beforeDir || !afterDir) throw new Error('usage: node bench/all-or-nothing-compare.mjs <before> <after>')
const before = await subject(beforeDir)
const after = await subject(afterDir)
for (const verdict of ['admit', 'reject']) {
  batch(before, verdict) // warm-up
  batch(after, verdict)
  const ratios = Array.from({ length: BATCHES }, () => batch(after, verdict) / batch(before, verdict)).sort(
    (a, b) => a - b,
  )
  const median = ratios[BATCHES >> 1]
  console.log(
    `${verdict}: after / before ×${median.toFixed(3)} (range ${ratios[0].toFixed(2)}–${ratios.at(-1).toFixed(2)}), ` +
      `after ${(batch(after, verdict) / 1e6).toFixed(2)} M decisions/s`,
  )
}
