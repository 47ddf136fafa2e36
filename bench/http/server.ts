// The server process of one HTTP case: builds the app and its limiter, listens, prints `port N`.
// Run: node --import tsx bench/http/server.ts '<ServerConfig as JSON>'   (from the repository root)
import { connectClient } from '../redis.js'
import { adapterOptions, expressRateLimit, fastifyRateLimit, koaRateLimit, spillwayStore } from '../spillway.js'
import { type FrameworkLimiter, listen } from './apps.js'
import { expressPeer, fastifyPeer, koaPeer } from './peers.js'
import { isPeer, type ServerConfig, usesRedis } from './server-config.js'

async function limiterFor(config: ServerConfig): Promise<FrameworkLimiter> {
  const { framework, limiter, verdict } = config
  if (limiter === 'none') return { framework }
  const client = usesRedis(limiter) ? await connectClient(config.redisPort) : undefined
  if (isPeer(limiter)) {
    if (framework === 'express') return { framework, middleware: expressPeer(verdict, client) }
    if (framework === 'fastify') return { framework, plugin: fastifyPeer(verdict, client) }
    return { framework, middleware: koaPeer(verdict, client) }
  }
  const options = adapterOptions(verdict, spillwayStore(client))
  if (framework === 'express') return { framework, middleware: expressRateLimit(options) }
  if (framework === 'fastify') return { framework, plugin: { plugin: fastifyRateLimit, options } }
  return { framework, middleware: koaRateLimit(options) }
}

const config = JSON.parse(process.argv[2] ?? '') as ServerConfig
const port = await listen(await limiterFor(config))
console.log(`port ${port}`)
