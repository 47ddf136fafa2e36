// CPU per request an adapter adds in process: Spillway from one or more checkouts (each built: pnpm build),
// beside the bare app, an empty middleware, one that only sets Spillway's two header fields, and the peer.
// Usage: node bench/adapter-compare.mjs <express|fastify|koa> <admit|reject> <checkout>... [--rounds N]
// Every variant is an app in this one process, driven in alternating batches of BATCH requests (fresh
// IncomingMessage / ServerResponse pairs, no socket: no syscalls, no load generator on the same cores), and
// each batch's process CPU time is divided by its requests. On a shared machine whose speed drifts, variants
// measured side by side in one process see the same drift; separate processes, minutes apart, did not (their
// medians moved by more than the differences measured). The frameworks and peers are bench/package.json's.
import http from 'node:http'
import { createRequire } from 'node:module'
import { Socket } from 'node:net'
import { parseArgs } from 'node:util'

const BATCH = 2000
const WARMUP = 20_000
const POLICIES = {
  admit: { capacity: 100_000_000, refillRate: 1 },
  reject: { capacity: 1, refillRate: { tokens: 1, per: '1h' } },
}
const BODY = { hello: 'world' }
// What Spillway sets on an admitted request of the admitting policy, as constants.
const FIELDS = [
  ['RateLimit-Policy', '"default";q=100000000;w=100000000'],
  ['RateLimit', '"default";r=99999999;t=99999999'],
]

const require = createRequire(import.meta.url)
const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string' } } })
const [framework, verdict, ...checkouts] = positionals
if (!['express', 'fastify', 'koa'].includes(framework) || !(verdict in POLICIES) || checkouts.length === 0) {
  console.error('usage: node bench/adapter-compare.mjs <express|fastify|koa> <admit|reject> <checkout>... [--rounds N]')
  process.exit(2)
}
const rounds = Number(values.rounds ?? 40)

const variants = [
  ['no limiter', await appWith('none')],
  ['empty middleware', await appWith('empty')],
  ['headers only', await appWith('headers')],
  [`peer ${verdict}`, await appWith('peer')],
  ...(await Promise.all(checkouts.map(async (checkout) => [`${checkout} ${verdict}`, await appWith(checkout)]))),
]
const socket = new Socket()
Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' })
for (const [, handle] of variants) await drive(handle, WARMUP)
await checkStatus(variants)
const samples = new Map(variants.map(([label]) => [label, []]))
for (let round = 0; round < rounds; round++) {
  // Alternate the order, so no variant always runs right after the same one.
  for (const [label, handle] of round % 2 === 0 ? variants : [...variants].reverse()) {
    const before = process.cpuUsage()
    await drive(handle, BATCH)
    const { user, system } = process.cpuUsage(before)
    samples.get(label).push((user + system) / BATCH)
  }
}
const sorted = (values) => [...values].sort((a, b) => a - b)
const median = (values) => sorted(values)[Math.floor(values.length / 2)]
const bare = median(samples.get('no limiter'))
console.log(`${framework}, ${verdict}: CPU µs per request, median of ${rounds} batches of ${BATCH} (quartiles)`)
for (const [label, values] of samples) {
  const [q1, q3] = [sorted(values)[Math.floor(values.length / 4)], sorted(values)[Math.floor((values.length * 3) / 4)]]
  const added = label === 'no limiter' ? '' : `  +${(median(values) - bare).toFixed(2)}`
  console.log(
    `  ${label.padEnd(36)} ${median(values).toFixed(2).padStart(6)}${added}  (${q1.toFixed(2)}–${q3.toFixed(2)})`,
  )
}

/** Sends `count` requests, yielding to the event loop every 100 so responses finish as they would. */
async function drive(handle, count) {
  let res
  for (let sent = 0; sent < count; sent += 100) {
    for (let i = 0; i < 100; i++) res = send(handle)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return res
}

/** Each variant answers what its case should: 200 (admitted, no limiter) or 429 (a limiter rejecting). */
async function checkStatus(variants) {
  for (const [label, handle] of variants) {
    const res = await drive(handle, 100)
    const status = label.endsWith(' reject') ? 429 : 200
    if (res.statusCode !== status || !res.headersSent)
      throw new Error(`${label}: expected ${status}, got ${res.statusCode}`)
  }
}

function send(handle) {
  const req = new http.IncomingMessage(socket)
  Object.assign(req, { method: 'GET', url: '/', headers: { host: 'localhost' }, rawHeaders: ['host', 'localhost'] })
  req.complete = true
  req.push(null)
  const res = new http.ServerResponse(req)
  handle(req, res)
  return res
}

/** The bench app (bench/http/apps.ts) with a limiter: 'none', 'empty', 'headers', 'peer' or a checkout's Spillway. */
async function appWith(limiter) {
  const spillway = (pkg) => import(`${limiter}/packages/${pkg}/dist/index.js`)
  const isSpillway = !['none', 'empty', 'headers', 'peer'].includes(limiter)
  const options = isSpillway
    ? { ...POLICIES[verdict], store: new (await spillway('core')).MemoryStore(), onStoreError: 'deny' }
    : undefined
  const max = verdict === 'admit' ? 1e9 : 1
  const windowMs = 3_600_000
  if (framework === 'express') {
    const app = require('express')()
    if (isSpillway) app.use((await spillway('express')).rateLimit(options))
    if (limiter === 'empty') app.use((_req, _res, next) => next())
    if (limiter === 'headers') {
      app.use((_req, res, next) => {
        for (const [name, value] of FIELDS) res.setHeader(name, value)
        next()
      })
    }
    if (limiter === 'peer') {
      app.use(require('express-rate-limit').rateLimit({ windowMs, limit: max, standardHeaders: 'draft-8' }))
    }
    app.get('/', (_req, res) => res.json(BODY))
    return app
  }
  if (framework === 'koa') {
    const Koa = require('koa')
    const app = new Koa()
    if (isSpillway) app.use((await spillway('koa')).rateLimit(options))
    if (limiter === 'empty') app.use((_ctx, next) => next())
    if (limiter === 'headers') {
      app.use((ctx, next) => {
        for (const [name, value] of FIELDS) ctx.res.setHeader(name, value)
        return next()
      })
    }
    if (limiter === 'peer')
      app.use(require('koa-ratelimit')({ driver: 'memory', db: new Map(), duration: windowMs, max }))
    app.use((ctx) => {
      ctx.body = BODY
    })
    return app.callback()
  }
  const app = require('fastify')()
  if (isSpillway) await app.register((await spillway('fastify')).rateLimit, options)
  if (limiter === 'empty') app.addHook('onRequest', (_req, _reply, done) => done())
  if (limiter === 'headers') {
    app.addHook('onRequest', (_req, reply, done) => {
      for (const [name, value] of FIELDS) reply.header(name, value)
      done()
    })
  }
  if (limiter === 'peer') await app.register(require('@fastify/rate-limit'), { max, timeWindow: windowMs })
  app.get('/', async () => BODY)
  await app.ready()
  return (req, res) => app.server.emit('request', req, res)
}
