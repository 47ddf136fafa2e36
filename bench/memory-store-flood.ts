// Measures a hot key's decisions/s on a MemoryStore before and after a flood of 3 × maxKeys distinct keys.
// Run: node --import tsx bench/memory-store-flood.ts [maxKeys]    (default 20 000; the old store took minutes at 250 000)
import { MemoryStore } from '../packages/core/src/index.js'
import { createPolicy } from '../packages/core/src/store.js'

const maxKeys = Number(process.argv[2] ?? 20_000)
const ROUND_MS = 100
const ROUNDS = 5

const hot = createPolicy({ name: 'hot', capacity: 1_000_000_000, refillRate: 1_000_000 })
// No flooded bucket is full again during the run: eviction has to pick among buckets still counting.
const slow = createPolicy({ name: 'slow', capacity: 10, refillRate: { tokens: 1, per: '1h' } })
const store = new MemoryStore({ maxKeys })

/** The best of a few rounds of decisions on one hot key, in decisions/s. */
async function hotKeyRate(): Promise<number> {
  let best = 0
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now()
    let decisions = 0
    while (performance.now() - started < ROUND_MS) {
      for (let i = 0; i < 100; i++) await store.consume('hot-client', hot, 1)
      decisions += 100
    }
    best = Math.max(best, (decisions * 1000) / (performance.now() - started))
  }
  return best
}

/** Sends `count` distinct new keys, the hot client staying active; returns new keys/s. */
async function flood(first: number, count: number): Promise<number> {
  const started = performance.now()
  for (let i = first; i < first + count; i++) {
    await store.consume(`198.51.${(i >> 8) & 0xff}.${i & 0xff}:${i}`, slow, 1)
    if (i % 1_000 === 0) await store.consume('hot-client', hot, 1)
  }
  return (count * 1000) / (performance.now() - started)
}

const format = (perSecond: number) => `${Math.round(perSecond).toLocaleString('en')}/s`
await hotKeyRate() // warm-up
const before = await hotKeyRate()
const fill = await flood(0, maxKeys)
const evicting = await flood(maxKeys, 2 * maxKeys)
const after = await hotKeyRate()
console.log(`MemoryStore, maxKeys ${maxKeys.toLocaleString('en')}, Node ${process.version}`)
console.log(`hot key before the flood:         ${format(before)}`)
console.log(`new keys while the store has room: ${format(fill)}`)
console.log(`new keys past maxKeys (evicting):  ${format(evicting)}`)
console.log(
  `hot key after 3 × maxKeys keys:    ${format(after)} (× ${(after / before).toFixed(2)}), ${store.size} buckets held`,
)
