// The contract between the conformance scenarios and one adapter: build an app from a neutral spec, then HTTP helpers.
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Decision, LimitOutcome, RateLimitOptions, Store } from '@spillway/core'
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
  readonly routes?: Readonly<Record<string, PolicySpec | false>>
  /** The framework's own trust-proxy switch (Express `trust proxy`, Fastify `trustProxy`, Koa `app.proxy`). */
  readonly trustProxy?: boolean
}

/** A listening app: `url` is `http://127.0.0.1:<port>`. */
export interface RunningApp {
  readonly url: string
  close(): Promise<void>
}

/** One adapter under test. */
export interface AppFactory {
  readonly name: 'express' | 'fastify' | 'koa'
  /** Builds and listens on 127.0.0.1, port 0. Rejects when the adapter rejects the options. */
  build(spec: AppSpec): Promise<RunningApp>
  /** Reads a request header from the framework's request object (for key, cost and skip functions). */
  headerOf(request: unknown, name: string): string | undefined
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
  const response = await fetch(`${app.url}${path}`, { headers, signal: AbortSignal.timeout(5_000) })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
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

/** Listens on a free loopback port and returns the running app, closing every connection on close. */
export async function serveOnLoopback(server: Server): Promise<RunningApp> {
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}
