// The server process of one HTTP case: builds the app and its limiter, listens, prints `port N`.
// Run: node --import tsx bench/http/server.ts '<ServerConfig as JSON>' [--profile]   (from the repository root)
// --profile: profiled on `start` / `stop <file>` lines on stdin (profiler-control.ts).

import { variantLimiter } from '../in-process/variants.js'
import { connectClient } from '../redis.js'
import { spillwayStore } from '../spillway.js'
import { type FrameworkLimiter, listen } from './apps.js'
import { peerLimiter, spillwayLimiter, spillwayStackedLimiter } from './limiters.js'
import { answerProfilerCommands } from './profiler-control.js'
import { isPeer, type ServerConfig, usesRedis } from './server-config.js'

async function limiterFor(config: ServerConfig): Promise<FrameworkLimiter> {
  const { framework, limiter, verdict } = config
  if (limiter === 'none') return { framework }
  if (limiter === 'empty' || limiter === 'headers') return variantLimiter(framework, limiter, verdict)
  const client = usesRedis(limiter) ? await connectClient(config.redisPort) : undefined
  if (limiter === 'spillway-redis-stacked' || limiter === 'spillway-redis-stacked-unbatched') {
    const batch = limiter === 'spillway-redis-stacked'
    return spillwayStackedLimiter(framework, verdict, spillwayStore(client, { batch }))
  }
  return isPeer(limiter) ? peerLimiter(framework, verdict, client) : spillwayLimiter(framework, verdict, client)
}

const config = JSON.parse(process.argv[2] ?? '') as ServerConfig
if (process.argv.includes('--profile')) await answerProfilerCommands()
const port = await listen(await limiterFor(config))
console.log(`port ${port}`)
