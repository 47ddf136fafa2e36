// limiterShare: which samples of a server's CPU profile are the limiter's, and which are the app's.
import { describe, expect, it } from 'vitest'
import { type CpuProfile, limiterShare } from '../../bench/http/profile-share.js'

const SPILLWAY = 'file:///repo/packages/fastify/dist/index.js'
const CORE = 'file:///repo/packages/core/dist/chunk-X.js'
const HOOKS = 'file:///repo/node_modules/.pnpm/fastify@5.12.8/node_modules/fastify/lib/hooks.js'
const REPLY = 'file:///repo/node_modules/.pnpm/fastify@5.12.8/node_modules/fastify/lib/reply.js'
const PEER = 'file:///repo/node_modules/.pnpm/@fastify+rate-limit@11/node_modules/@fastify/rate-limit/index.js'

/** A profile from a list of frames (id, function, url, parent id) and the node id of each sample. */
function profile(frames: [number, string, string, number | undefined][], samples: number[]): CpuProfile {
  return {
    nodes: frames.map(([id, functionName, url]) => ({
      id,
      callFrame: { functionName, url },
      children: frames.filter(([, , , parent]) => parent === id).map(([child]) => child),
    })),
    samples,
  }
}

// root ─┬─ (idle)
//       ├─ route handler (the app's own work)
//       └─ onRequest (Spillway) ─┬─ consume (core) ── Map.get (native)
//                                ├─ next (Fastify's hook runner) ── route handler
//                                └─ Reply.send (a 429)
const FRAMES: [number, string, string, number | undefined][] = [
  [1, '(root)', '', undefined],
  [2, '(idle)', '', 1],
  [3, 'handler', 'file:///repo/bench/http/apps.ts', 1],
  [4, 'onRequest', SPILLWAY, 1],
  [5, 'consume', CORE, 4],
  [6, 'get', '', 5],
  [7, 'next', HOOKS, 4],
  [8, 'handler', 'file:///repo/bench/http/apps.ts', 7],
  [9, 'Reply.send', REPLY, 4],
]

describe('limiterShare', () => {
  it('counts the limiter and what it calls, not idle samples, nor what runs below its hand-on', () => {
    // 2 idle, 2 app, then the limiter's own (4), native code it calls (6), the app below next (8), its 429 (9).
    const share = limiterShare(profile(FRAMES, [2, 2, 3, 3, 4, 6, 8, 9]))
    expect(share.busy).toBeCloseTo(6 / 8)
    expect(share.limiter).toBeCloseTo(2 / 6)
  })

  it("counts a peer's code as the limiter's", () => {
    const frames = FRAMES.map(([id, name, url, parent]): [number, string, string, number | undefined] =>
      url === SPILLWAY ? [id, name, PEER, parent] : [id, name, url, parent],
    )
    expect(limiterShare(profile(frames, [3, 4, 6, 8])).limiter).toBeCloseTo(2 / 4)
  })

  it("stops at Koa's body setter and Express's res.send as at Fastify's reply.send", () => {
    const koa = 'file:///repo/node_modules/.pnpm/koa@3/node_modules/koa/lib/response.js'
    const express = 'file:///repo/node_modules/.pnpm/express@5/node_modules/express/lib/response.js'
    const frames: [number, string, string, number | undefined][] = [
      [1, '(root)', '', undefined],
      [2, 'rateLimit', SPILLWAY, 1],
      [3, 'set body', koa, 2],
      [4, 'send', express, 2],
      [5, 'set', koa, 2],
    ]
    // The two bodies are the app's; setting a header (5) and the limiter's own frame (2) are the limiter's.
    expect(limiterShare(profile(frames, [2, 3, 4, 5])).limiter).toBeCloseTo(2 / 4)
  })

  it('gives 0 for a profile without samples or without a limiter', () => {
    expect(limiterShare(profile(FRAMES, []))).toEqual({ busy: 0, limiter: 0 })
    expect(limiterShare(profile(FRAMES, [2, 3, 8]))).toEqual({ busy: 2 / 3, limiter: 0 })
  })
})
