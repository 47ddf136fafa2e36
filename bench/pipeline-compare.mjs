// Request pipeline checks/s of two checkouts (each built: pnpm build), interleaved rounds, each in its own process.
// Usage: node bench/pipeline-compare.mjs <before-checkout> <after-checkout>
import { execFileSync } from 'node:child_process'

const one = (dir) =>
  Number(
    execFileSync(
      'node',
      [
        '-e',
        `
  const { createRequestLimiter } = await import('${dir}/packages/core/dist/adapter.js')
  const keys = Array.from({ length: 10000 }, (_, i) => '10.0.' + (i >> 8) + '.' + (i & 255))
  const req = createRequestLimiter({ capacity: 1e8, refillRate: 1 })
  for (let i = 0; i < 300000; i++) req.check({}, keys[i % keys.length])
  const t = performance.now()
  for (let i = 0; i < 2000000; i++) req.check({}, keys[i % keys.length])
  console.log(2e6 / ((performance.now() - t) / 1000))
`,
        '--input-type=module',
      ],
      { encoding: 'utf8' },
    ),
  )
const before = [],
  now = []
for (let r = 0; r < 5; r++) {
  before.push(one(process.argv[2]))
  now.push(one(process.argv[3]))
}
const med = (a) => [...a].sort((x, y) => x - y)[2]
console.log(
  `before ${(med(before) / 1e6).toFixed(2)} M/s, now ${(med(now) / 1e6).toFixed(2)} M/s, ratio now/before ${(med(now) / med(before)).toFixed(2)}`,
)
console.log(
  'rounds before',
  before.map((x) => (x / 1e6).toFixed(2)).join(' '),
  '| now',
  now.map((x) => (x / 1e6).toFixed(2)).join(' '),
)
