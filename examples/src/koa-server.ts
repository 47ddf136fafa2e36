// Koa example: GET / under the app-wide policy, POST /login under a stricter route policy too.
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import { rateLimit } from '@spillway/koa'
import Koa from 'koa'
import { logListening, readConfig } from './config.js'

const config = await readConfig()
const app = new Koa()
const router = new Router()
router.get('/', (ctx) => {
  ctx.body = { hello: 'world', remaining: ctx.state.rateLimit?.remaining }
})
router.post('/login', rateLimit({ ...config.login, store: config.store }), (ctx) => {
  ctx.body = { ok: true }
})
app.use(rateLimit({ ...config.global, store: config.store }))
app.use(router.routes())
const server = app.listen(config.port, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  logListening('koa', `http://127.0.0.1:${port}`, config)
})
