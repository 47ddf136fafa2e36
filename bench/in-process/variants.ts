// What each in-process case puts in front of the app: nothing, an empty middleware, two constant headers, the peer, Spillway.
import type { FastifyInstance } from 'fastify'
import type { Framework, FrameworkLimiter } from '../http/apps.js'
import { peerLimiter, spillwayLimiter } from '../http/limiters.js'
import type { Verdict } from '../spillway.js'

/**
 * `empty`: the framework's cost of one more middleware (Fastify: an onRequest hook). `headers`: that, plus
 * the two header fields an admitted Spillway response carries, as constants: what any limiter that states its
 * limit pays to the framework and Node before deciding anything.
 */
export type InProcessVariant = 'none' | 'empty' | 'headers' | 'peer' | 'spillway'

export const IN_PROCESS_VARIANTS: readonly InProcessVariant[] = ['none', 'empty', 'headers', 'peer', 'spillway']

/** Spillway's two fields on an admitted request of the bench's admitting policy, as constants. */
const FIELDS: readonly (readonly [string, string])[] = [
  ['RateLimit-Policy', '"default";q=100000000;w=100000000'],
  ['RateLimit', '"default";r=99999999;t=99999999'],
]

/** The limiter of one variant, on its in-process store (the peers' defaults, Spillway's MemoryStore). */
export function variantLimiter(framework: Framework, variant: InProcessVariant, verdict: Verdict): FrameworkLimiter {
  if (variant === 'peer') return peerLimiter(framework, verdict)
  if (variant === 'spillway') return spillwayLimiter(framework, verdict)
  if (variant === 'none') return { framework }
  const withHeaders = variant === 'headers'
  if (framework === 'express') {
    return {
      framework,
      middleware: (_req, res, next) => {
        if (withHeaders) for (const [name, value] of FIELDS) res.setHeader(name, value)
        next()
      },
    }
  }
  if (framework === 'koa') {
    return {
      framework,
      middleware: (ctx, next) => {
        if (withHeaders) for (const [name, value] of FIELDS) ctx.res.setHeader(name, value)
        return next()
      },
    }
  }
  return { framework, plugin: { plugin: hookPlugin(withHeaders), options: {} } }
}

/** A Fastify plugin adding one app-wide onRequest hook (not encapsulated, as fastify-plugin would make it). */
function hookPlugin(withHeaders: boolean) {
  const plugin = async (app: FastifyInstance) => {
    app.addHook('onRequest', (_request, reply, done) => {
      if (withHeaders) for (const [name, value] of FIELDS) reply.header(name, value)
      done()
    })
  }
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true })
}
