// CPU per request an adapter adds in process, for two checkouts (each built: pnpm build), next to the bare app and the peer.
// Usage: node bench/adapter-compare.mjs <express|fastify|koa> <before-checkout> <after-checkout> [rounds]
//        node bench/adapter-compare.mjs <express|fastify|koa> --floor <checkout> [rounds]
// --floor puts Spillway beside what any limiter in front of the route costs at least: an empty middleware
// (or hook), and one that only sets Spillway's two header fields, as constants.
// Each case runs in its own process: the framework's request handler is driven with fresh IncomingMessage /
// ServerResponse pairs (no socket, so no syscalls and no load generator on the same cores), and the process's
// CPU time is divided by the requests. The frameworks and peers are this checkout's (bench/package.json).
import { execFileSync } from 'node:child_process'
import http from 'node:http'
import { createRequire } from 'node:module'
import { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

const REQUESTS = 100_000
const POLICIES = {
  admit: { capacity: 100_000_000, refillRate: 1 },
  reject: { capacity: 1, refillRate: { tokens: 1, per: '1h' } },
}
const BODY = { hello: 'world' }

if (process.argv[2] === '--case') {
  console.log(await measureCase(JSON.parse(process.argv[3])))
} else if (process.argv[3] === '--floor') {
  compare(process.argv[2], floorCases(process.argv[4]), Number(process.argv[5] ?? 7))
} else {
  compare(process.argv[2], beforeAfterCases(process.argv[3], process.argv[4]), Number(process.argv[5] ?? 7))
}

/** Bare, an empty middleware, one setting constant headers, the peer and Spillway (admitted and rejected). */
function floorCases(checkout) {
  return [
    { label: 'no limiter', limiter: 'none', verdict: 'admit' },
    { label: 'empty hook', limiter: 'empty', verdict: 'admit' },
    { label: 'headers only', limiter: 'headers', verdict: 'admit' },
    { label: 'peer admitted', limiter: 'peer', verdict: 'admit' },
    { label: 'peer rejected', limiter: 'peer', verdict: 'reject' },
    { label: 'admitted', limiter: 'spillway', verdict: 'admit', checkout },
    { label: 'rejected', limiter: 'spillway', verdict: 'reject', checkout },
  ]
}

function beforeAfterCases(before, after) {
  return [
    { label: 'no limiter', limiter: 'none', verdict: 'admit' },
    { label: 'peer admitted', limiter: 'peer', verdict: 'admit' },
    { label: 'peer rejected', limiter: 'peer', verdict: 'reject' },
    ...[before, after].flatMap((checkout, i) =>
      ['admit', 'reject'].map((verdict) => ({
        label: `${i === 0 ? 'before' : 'after'} ${verdict === 'admit' ? 'admitted' : 'rejected'}`,
        limiter: 'spillway',
        verdict,
        checkout,
      })),
    ),
  ]
}

function compare(framework, cases, rounds) {
  const self = fileURLToPath(import.meta.url)
  const usPerRequest = new Map(cases.map(({ label }) => [label, []]))
  for (let round = 0; round < rounds; round++) {
    for (const spec of cases) {
      const out = execFileSync('node', [self, '--case', JSON.stringify({ framework, ...spec })], { encoding: 'utf8' })
      usPerRequest.get(spec.label).push(Number(out) / 1000)
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const bare = median(usPerRequest.get('no limiter'))
  for (const [label, values] of usPerRequest) {
    const us = median(values)
    const rounds = values.map((value) => value.toFixed(1)).join(' ')
    console.log(
      `${framework} ${label.padEnd(16)} ${us.toFixed(2).padStart(6)} µs  +${(us - bare).toFixed(2)}  [${rounds}]`,
    )
  }
}

/** CPU ns per request of one case, after a warm-up. */
async function measureCase({ framework, limiter, verdict, checkout }) {
  const handle = await handlerFor(framework, limiter, verdict, checkout)
  const socket = new Socket()
  Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' })
  const run = async (count) => {
    let res
    for (let sent = 0; sent < count; sent += 100) {
      for (let i = 0; i < 100; i++) res = send(handle, socket)
      await new Promise((resolve) => setImmediate(resolve))
    }
    return res
  }
  const last = await run(20_000)
  const status = verdict === 'admit' ? 200 : 429
  if (last.statusCode !== status || !last.headersSent) throw new Error(`expected ${status}, got ${last.statusCode}`)
  const before = process.cpuUsage()
  await run(REQUESTS)
  const { user, system } = process.cpuUsage(before)
  return ((user + system) * 1000) / REQUESTS
}

function send(handle, socket) {
  const req = new http.IncomingMessage(socket)
  Object.assign(req, { method: 'GET', url: '/', headers: { host: 'localhost' }, rawHeaders: ['host', 'localhost'] })
  req.complete = true
  req.push(null)
  const res = new http.ServerResponse(req)
  handle(req, res)
  return res
}

/** The app of bench/http/apps.ts with the case's limiter, as a `(req, res)` handler. */
async function handlerFor(framework, limiter, verdict, checkout) {
  const require = createRequire(import.meta.url)
  const spillway = (pkg) => import(`${checkout}/packages/${pkg}/dist/index.js`)
  const options = async () => {
    const { MemoryStore } = await spillway('core')
    return { ...POLICIES[verdict], store: new MemoryStore(), onStoreError: 'deny' }
  }
  const max = verdict === 'admit' ? 1e9 : 1
  // What Spillway sets on an admitted request of the bench's policy, as constants.
  const fields = [
    ['RateLimit-Policy', '"default";q=100000000;w=100000000'],
    ['RateLimit', '"default";r=99999999;t=99999999'],
  ]
  const windowMs = 3_600_000
  if (framework === 'express') {
    const app = require('express')()
    if (limiter === 'spillway') app.use((await spillway('express')).rateLimit(await options()))
    if (limiter === 'empty') app.use((_req, _res, next) => next())
    if (limiter === 'headers') {
      app.use((_req, res, next) => {
        for (const [name, value] of fields) res.setHeader(name, value)
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
    if (limiter === 'spillway') app.use((await spillway('koa')).rateLimit(await options()))
    if (limiter === 'empty') app.use((_ctx, next) => next())
    if (limiter === 'headers') {
      app.use((ctx, next) => {
        for (const [name, value] of fields) ctx.res.setHeader(name, value)
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
  if (limiter === 'spillway') await app.register((await spillway('fastify')).rateLimit, await options())
  if (limiter === 'empty') app.addHook('onRequest', (_req, _reply, done) => done())
  if (limiter === 'headers') {
    app.addHook('onRequest', (_req, reply, done) => {
      for (const [name, value] of fields) reply.header(name, value)
      done()
    })
  }
  if (limiter === 'peer') await app.register(require('@fastify/rate-limit'), { max, timeWindow: windowMs })
  app.get('/', async () => BODY)
  await app.ready()
  return (req, res) => app.server.emit('request', req, res)
}
