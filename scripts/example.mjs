// `pnpm example express|fastify|koa|metrics`: starts one example server (reads PORT, REDIS_URL, RATE_LIMIT_*).
import { spawnSync } from 'node:child_process'

const frameworks = ['express', 'fastify', 'koa', 'metrics']
const framework = process.argv[2]
if (!frameworks.includes(framework)) {
  console.error(`usage: pnpm example ${frameworks.join('|')}`)
  process.exit(2)
}
const result = spawnSync('pnpm', ['--filter', '@spillway/examples', framework], { stdio: 'inherit' })
process.exit(result.status ?? 1)
