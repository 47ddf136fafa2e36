// The contract between the conformance scenarios and one adapter: build an app from a neutral spec, then HTTP helpers.
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { get as httpGet, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Decision, RateLimitOptions, RequestBuckets, Store } from '@spillway/core'
import type { LimitOutcome } from '@spillway/core/adapter'
import { type BareItem, parseList } from 'structured-headers'

/** A rejection as the adapters hand it to a custom `handler`. */
export type Rejection = Extract<LimitOutcome, { kind: 'rejected' }>

/** Framework-neutral custom rejection: the factory wraps it in the framework's own `handler` signature. */
export type NeutralHandler = (rejection: Rejection) => { status: number; body: string }

/** One policy, as every adapter takes it; functions receive the framework's request (read it via `headerOf`). */
export type PolicySpec = RateLimitOptions<unknown> & { handler?: NeutralHandler }

/**
 * What to build. Every app answers `GET /` and `GET <path>` for each route with {@link EchoBody}.
 * `global` applies app-wide (Express/Koa: `app.use`; Fastify: the registered plugin); a route's policy
 * stacks on top of it; `false` exempts the route (Express/Koa: mounted before the app-wide middleware;
 * Fastify: `config: { rateLimit: false }`).
 */
export interface AppSpec {
  readonly global?: PolicySpec
  /**
   * Options every policy of the app inherits, except those that define a policy (Fastify: plugin options,
   * with `global: false` when there is no app-wide policy; Express and Koa: `rateLimit.withDefaults`).
   */
  readonly defaults?: Partial<PolicySpec>
  readonly routes?: Readonly<Record<string, PolicySpec | false>>
  /**
   * Behind one reverse proxy on 127.0.0.1, trusted exactly as the adapter's README says (Express
   * `trust proxy` 1, Fastify `trustProxy: '127.0.0.1'`, Koa `proxy: true, maxIpsCount: 1`). Default: no proxy
   * trusted, so `X-Forwarded-For` is ignored.
   */
  readonly behindProxy?: boolean
  /**
   * Trust every proxy hop, the setting Spillway warns about: Express `trust proxy` true, Fastify
   * `trustProxy: true`, Koa `proxy: true` without `maxIpsCount`.
   */
  readonly trustEveryProxy?: boolean
  /** Listen on a Unix socket instead of 127.0.0.1 (as an app behind nginx often does): no client address. */
  readonly unixSocket?: boolean
  /**
   * Counts each read of the framework's client address (Express `req.ip`, Fastify `request.ip`, Koa
   * `ctx.ip`) after the app's first middleware (Fastify: an app-wide `onRequest` hook added before the
   * plugin), which shadows it with a counting getter of the same value.
   */
  readonly addressReads?: { count: number }
  /** A response header the app's first middleware (Fastify: an `onRequest` hook before the plugin) sets. */
  readonly presetHeader?: readonly [name: string, value: string]
}

/** Shadows `target.ip` with a getter of its current value that counts its reads in `reads`. */
export function countAddressReads(target: { ip?: string | undefined }, reads: { count: number }): void {
  const ip = target.ip
  Object.defineProperty(target, 'ip', {
    get() {
      reads.count++
      return ip
    },
  })
}

/** A listening app: `url` is `http://127.0.0.1:<port>`, or `http://localhost` with `socketPath` set. */
export interface RunningApp {
  readonly url: string
  readonly socketPath?: string
  close(): Promise<void>
}

/** Where an app factory listens: 127.0.0.1 on a free port, or a fresh Unix socket path. */
export function listenTarget(spec: AppSpec): { port: number; host: string } | { path: string } {
  if (!spec.unixSocket) return { port: 0, host: '127.0.0.1' }
  return { path: join(mkdtempSync(join(tmpdir(), 'spillway-sock-')), 'app.sock') }
}

/** One adapter under test. */
export interface AppFactory {
  readonly name: 'express' | 'fastify' | 'koa'
  /** The framework's major (or major.minor) version under test. */
  readonly version: string
  /** Builds and listens on 127.0.0.1, port 0. Rejects when the adapter rejects the options. */
  build(spec: AppSpec): Promise<RunningApp>
  /** Reads a request header from the framework's request object (for key, cost and skip functions). */
  headerOf(request: unknown, name: string): string | undefined
  /** Reads the status from the framework's response (what `requestWasSuccessful` receives). */
  statusOf(response: unknown): number
}

/**
 * What every route does before it answers, from its query string: wait `delayMs`, then
 * `reset=1` or `refund=1` the request's buckets; answers with `status` (default 200).
 */
export async function routeActions(query: Record<string, unknown>, buckets: RequestBuckets | undefined) {
  const delayMs = Number(query.delayMs ?? 0)
  if (delayMs > 0) await sleep(delayMs)
  if (query.reset === '1') await buckets?.reset()
  if (query.refund === '1') await buckets?.refund()
  return Number(query.status ?? 200)
}

/** Sends GET `path` and destroys the socket after `abortAfterMs`, before the app answers. */
export async function hitAndAbort(app: RunningApp, path: string, abortAfterMs: number): Promise<void> {
  const request = httpGet(`${app.url}${path}`)
  request.on('error', () => {})
  await sleep(abortAfterMs)
  request.destroy()
}

/** What every route answers: the decision the handler found on the request (`null` when none). */
export interface EchoBody {
  readonly policy: string | null
  readonly remaining: number | null
  readonly limit: number | null
}

export function echoBody(decision: Decision | undefined): EchoBody {
  return {
    policy: decision?.policy.name ?? null,
    remaining: decision?.remaining ?? null,
    limit: decision?.limit ?? null,
  }
}

/** The store a scenario's policies use; `shared` stores with one prefix share buckets (Redis only). */
export interface ScenarioContext {
  readonly app: AppFactory
  readonly storeKind: 'memory' | 'redis'
  /** A fresh store: a MemoryStore, or a RedisStore under a random prefix (or `prefix`, to share buckets). */
  store(prefix?: string): Store
}

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T
}

/** GET `path` on the real socket; a hang fails after 5 s instead of stalling the suite. */
export async function hit(app: RunningApp, path = '/', headers: Record<string, string> = {}): Promise<Reply> {
  if (app.socketPath !== undefined) return hitUnixSocket(app.socketPath, path, headers)
  const response = await fetch(`${app.url}${path}`, { headers, signal: AbortSignal.timeout(5_000) })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
}

async function hitUnixSocket(socketPath: string, path: string, headers: Record<string, string>): Promise<Reply> {
  const request = httpGet({ socketPath, path, headers, timeout: 5_000 })
  request.on('timeout', () => request.destroy(new Error(`no answer on ${socketPath} within 5 s`)))
  const [response] = (await once(request, 'response')) as [IncomingMessage]
  let text = ''
  for await (const chunk of response) text += chunk
  const fields = new Headers()
  for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) fields.set(name, String(value))
  return { status: response.statusCode ?? 0, headers: fields, text, json: () => JSON.parse(text) }
}

/** Statuses of `count` sequential requests. */
export async function statuses(app: RunningApp, count: number, path = '/', headers: Record<string, string> = {}) {
  const result: number[] = []
  for (let i = 0; i < count; i++) result.push((await hit(app, path, headers)).status)
  return result
}

/** A structured-field List item, parsed by the independent `structured-headers` parser. */
export interface ListItem {
  readonly value: BareItem
  readonly params: Record<string, BareItem>
}

export function parseListField(value: string | null): ListItem[] {
  if (value === null) throw new Error('header field is missing')
  return parseList(value).map(([item, params]) => {
    if (Array.isArray(item)) throw new Error(`unexpected inner list in ${value}`)
    return { value: item, params: Object.fromEntries(params) }
  })
}

/** Builds an app, runs `body`, and always closes it. */
export async function withApp(ctx: ScenarioContext, spec: AppSpec, body: (app: RunningApp) => Promise<void>) {
  const app = await ctx.app.build(spec)
  try {
    await body(app)
  } finally {
    await app.close()
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits `ms` at least, as a client honouring Retry-After does: a timer may fire a millisecond early. */
export async function sleepAtLeast(ms: number): Promise<void> {
  const untilMs = performance.now() + ms
  for (let leftMs = ms; leftMs > 0; leftMs = untilMs - performance.now()) await sleep(Math.ceil(leftMs))
}

/** Listens where `spec` says and returns the running app, closing every connection on close. */
export async function serve(server: Server, spec: AppSpec): Promise<RunningApp> {
  server.listen(listenTarget(spec))
  await once(server, 'listening')
  return runningApp(server)
}

/** The running app for a listening server (TCP or Unix socket), closing every connection on close. */
export function runningApp(server: Server): RunningApp {
  const address = server.address() as AddressInfo | string
  const where =
    typeof address === 'string'
      ? { url: 'http://localhost', socketPath: address }
      : { url: `http://127.0.0.1:${address.port}` }
  return {
    ...where,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}
