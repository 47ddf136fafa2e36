// What share of a server's busy CPU a limiter's code takes, read from a V8 CPU profile of the server under load.

/** The parts of a V8 `.cpuprofile` this reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number
    readonly callFrame: { readonly functionName: string; readonly url: string }
    readonly children?: readonly number[]
  }[]
  /** The node id on top of the stack at each sample. */
  readonly samples: readonly number[]
}

export interface ProfileShare {
  /** Samples not idle, over all samples. */
  readonly busy: number
  /** Samples in the limiter's code (and what it calls), over the busy samples. */
  readonly limiter: number
}

/**
 * A limiter's code: Spillway's built packages, each peer and its store, and the Redis client (the bare app
 * never calls Redis, so the client's work is the limiter's, including reading answers on the event loop).
 */
const LIMITER_URL =
  /\/packages\/(?:core|express|fastify|koa|redis)\/dist\/|\/(?:express-rate-limit|rate-limit-redis|@fastify\/rate-limit|koa-ratelimit|async-ratelimiter|ioredis|@ioredis|redis-parser)\//

/**
 * Where a middleware hands the request on: below these frames runs the rest of the app (the route, the
 * reply), which is not the limiter's cost even when the limiter called them. Sending a 429's body is handing
 * on too (Fastify's `reply.send`, Express's `res.send`, Koa's `ctx.body =`): it takes the place of the reply
 * the app would have sent, which the bare app pays for as well. Setting its status and headers is counted.
 */
function handsOn(functionName: string, url: string): boolean {
  if (functionName === 'next') return url.includes('/fastify/lib/hooks.js') || url.includes('/router/index.js')
  if (functionName === 'dispatch') return url.includes('/koa-compose/')
  if (functionName === 'Reply.send') return url.includes('/fastify/lib/reply.js')
  if (functionName === 'set body') return url.includes('/koa/lib/response.js')
  return functionName === 'send' && url.includes('/express/lib/response.js')
}

/**
 * Attributes each busy sample to the limiter when, walking down from the top of its stack, a limiter frame
 * comes before any frame that hands the request on to the app.
 *
 * @example
 * ```ts
 * limiterShare(JSON.parse(readFileSync('server.cpuprofile', 'utf8'))) // { busy: 0.84, limiter: 0.058 }
 * ```
 */
export function limiterShare(profile: CpuProfile): ProfileShare {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
  const isLimiter = new Map<number, boolean>()
  const attribute = (id: number): boolean => {
    const known = isLimiter.get(id)
    if (known !== undefined) return known
    const { functionName, url } = byId.get(id)?.callFrame ?? { functionName: '', url: '' }
    const parent = parentOf.get(id)
    let answer: boolean
    if (LIMITER_URL.test(url)) answer = true
    else if (handsOn(functionName, url)) answer = false
    else answer = parent === undefined ? false : attribute(parent)
    isLimiter.set(id, answer)
    return answer
  }
  let busy = 0
  let limiter = 0
  for (const id of profile.samples) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue
    busy++
    if (attribute(id)) limiter++
  }
  const all = profile.samples.length
  return { busy: all === 0 ? 0 : busy / all, limiter: busy === 0 ? 0 : limiter / busy }
}
