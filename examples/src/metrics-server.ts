// Metrics example: an Express app whose limiters are observed by @spillway/prometheus, exposed on GET /metrics.
import type { AddressInfo } from 'node:net'
import { rateLimit } from '@spillway/express'
import { collectSpillwayMetrics } from '@spillway/prometheus'
import express from 'express'
import { collectDefaultMetrics, register } from 'prom-client'
import { logListening, readConfig } from './config.js'

const config = await readConfig()
// Every Spillway limiter and store in this process reports here, the Redis store's circuit breaker included.
collectSpillwayMetrics()
collectDefaultMetrics()

const app = express()
// Mounted before the limiter: scraping never spends a client's tokens.
app.get('/metrics', async (_req, res) => {
  res.type(register.contentType).send(await register.metrics())
})
// A queue, not a wall: one request a second, each held up to 5 s for its turn instead of a 429. Mounted
// before the app-wide limiter: a policy decided after another one, together with its tokens (all-or-nothing),
// never waits (docs/options.md#maxwait); the app-wide policy then decides with the report's tokens held.
app.use('/report', rateLimit({ name: 'report', capacity: 1, refillRate: 1, maxWait: '5s', store: config.store }))
app.use(rateLimit({ ...config.global, store: config.store }))
app.get('/', (req, res) => {
  res.json({ hello: 'world', remaining: req.rateLimit?.remaining })
})
app.get('/report', (_req, res) => {
  res.json({ report: 'ready' })
})
const server = app.listen(config.port, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  logListening('metrics', `http://127.0.0.1:${port}`, config)
})
