// Fastify example: GET / under the app-wide policy, POST /login under a stricter route policy too.
import { rateLimit } from '@spillway/fastify'
import Fastify from 'fastify'
import { type ExampleConfig, logListening, readConfig } from './config.js'

export async function startFastify(config: ExampleConfig) {
  const app = Fastify()
  await app.register(rateLimit, { ...config.global, store: config.store })
  app.get('/', async (request) => ({ hello: 'world', remaining: request.rateLimit?.remaining }))
  app.post('/login', { config: { rateLimit: { ...config.login, store: config.store } } }, async () => ({ ok: true }))
  const url = await app.listen({ port: config.port, host: '127.0.0.1' })
  return { app, url, close: () => app.close() }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = await readConfig()
  const { url } = await startFastify(config)
  logListening('fastify', url, config)
}
