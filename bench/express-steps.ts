// What one middleware costs on an Express request, called directly (no router, no response written): an empty
// one, single steps any limiter takes (read `req.ip`, read a header, set two header fields, remember something
// per request), express-rate-limit's and Spillway's from one or more checkouts (each built: pnpm build), in
// this one process in alternating batches (bench/in-process/drive.ts). Express gives each `req` and `res` a
// hidden class of its own, so every property read on them misses V8's caches: this shows what each step costs.
// Usage: TSX_TSCONFIG_PATH=bench/tsconfig.json node --import tsx bench/express-steps.ts <checkout>... [--rounds N]
import type { RequestListener } from 'node:http'
import { parseArgs } from 'node:util'
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import { expressPeer } from './http/peers.js'
import { alternateBatches, drive } from './in-process/drive.js'
import { adapterOptions } from './spillway.js'
import { summarize } from './stats.js'

const { values, positionals: checkouts } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string' }, batch: { type: 'string' } },
})
const rounds = Number(values.rounds ?? 30)
const batchSize = Number(values.batch ?? 20_000)

const app = express()

let calls = 0
let misses = 0
const next: NextFunction = () => {
  calls++
}
const perRequest = new WeakMap<object, object>()
const header = (res: Response, name: string, value: string) => res.setHeader(name, value)

/** Steps measured alone. Each result is checked (`misses`) so that no read can be optimised away. */
const steps: Array<[string, RequestHandler]> = [
  ['empty middleware', (_req, _res, done) => done()],
  [
    'read req.ip',
    (req, _res, done) => {
      if (req.ip !== '127.0.0.1') misses++
      done()
    },
  ],
  [
    'read one header of req',
    (req, _res, done) => {
      if (req.headers['x-forwarded-for'] !== undefined) misses++
      done()
    },
  ],
  [
    'WeakMap get + set',
    (req, _res, done) => {
      if (perRequest.get(req) === undefined) perRequest.set(req, { rateLimit: undefined })
      done()
    },
  ],
  [
    'set two header fields',
    (_req, res, done) => {
      header(res, 'RateLimit-Policy', '"default";q=100000000;w=100')
      header(res, 'RateLimit', '"default";r=99999999;t=99999999')
      done()
    },
  ],
  [
    'set two lower-case fields',
    (_req, res, done) => {
      header(res, 'ratelimit-policy', '"default";q=100000000;w=100')
      header(res, 'ratelimit', '"default";r=99999999;t=99999999')
      done()
    },
  ],
]

steps.push(['express-rate-limit', expressPeer('admit') as RequestHandler])
for (const checkout of checkouts) {
  const { MemoryStore } = await import(`${checkout}/packages/core/dist/index.js`)
  const { rateLimit } = await import(`${checkout}/packages/express/dist/index.js`)
  steps.push([`Spillway ${checkout}`, rateLimit(adapterOptions('admit', new MemoryStore()))])
}

/** `middleware` on each request as Express's `app.handle` leaves it: links, Express's prototypes, `res.locals`. */
function alone(middleware: RequestHandler): RequestListener {
  return (req, res) => {
    Object.assign(req, { res })
    Object.assign(res, { req })
    Object.setPrototypeOf(req, app.request)
    Object.setPrototypeOf(res, app.response)
    Object.assign(res, { locals: Object.create(null) })
    middleware(req as Request, res as Response, next)
  }
}

const handles = steps.map(([, middleware]) => alone(middleware))
for (const handle of handles) await drive(handle, batchSize * 2)
const samples = await alternateBatches(handles, { batches: rounds, batchSize })
const expected = batchSize * (rounds + 2) * steps.length
if (calls !== expected || misses !== 0) throw new Error(`next() called ${calls} times of ${expected}, ${misses} misses`)

const base = summarize(samples[0] as number[]).median
console.log(`Express: CPU µs per request (a fresh req/res pair + the middleware), median of ${rounds} batches`)
steps.forEach(([label], i) => {
  const value = summarize(samples[i] as number[]).median
  console.log(
    `  ${label.padEnd(40)} ${value.toFixed(2).padStart(6)}${i === 0 ? '' : `  +${(value - base).toFixed(2)}`}`,
  )
})
