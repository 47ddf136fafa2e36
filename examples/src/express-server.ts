// Express example: GET / under the app-wide policy, POST /login under a stricter route policy too.
import type { AddressInfo } from 'node:net'
import { rateLimit } from '@spillway/express'
import express from 'express'
import { logListening, readConfig } from './config.js'

const config = await readConfig()
const app = express()
app.use(rateLimit({ ...config.global, store: config.store }))
app.get('/', (req, res) => {
  res.json({ hello: 'world', remaining: req.rateLimit?.remaining })
})
app.post('/login', rateLimit({ ...config.login, store: config.store }), (_req, res) => {
  res.json({ ok: true })
})
const server = app.listen(config.port, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  logListening('express', `http://127.0.0.1:${port}`, config)
})
