// Everything Spillway-specific the bench sets up, in one file: an API rename touches only this one.
import { createLimiter, type Limiter, MemoryStore, type Store } from '@spillway/core'
import { createPolicy, storeKey } from '@spillway/core/store'
import { rateLimit as expressRateLimit } from '@spillway/express'
import { rateLimit as fastifyRateLimit } from '@spillway/fastify'
import { rateLimit as koaRateLimit } from '@spillway/koa'
import {
  HybridStore,
  RedisStore,
  tokenBucketBatchScript,
  tokenBucketBatchScriptSha1,
  tokenBucketScript,
  tokenBucketScriptSha1,
} from '@spillway/redis'
import type { Redis } from 'ioredis'

/** `admit`: a bucket no load empties; `reject`: one token, refilled hourly, drained by the warm-up. */
export type Verdict = 'admit' | 'reject'

// `admit` refills slowly on purpose: each decision moves the key's tat 1 s ahead, so its state stays
// in the store (as the peers' hour-long counters do) instead of expiring a microsecond later; 10^8
// tokens are never used up in a run.
const POLICIES = {
  admit: { capacity: 100_000_000, refillRate: 1 },
  reject: { capacity: 1, refillRate: { tokens: 1, per: '1h' } },
} as const

/** One decision leaves 6 minutes of state: for counting bytes per key. */
const LONG_LIVED = { capacity: 10, refillRate: { tokens: 10, per: '1h' } } as const

export {
  expressRateLimit,
  fastifyRateLimit,
  koaRateLimit,
  tokenBucketBatchScript,
  tokenBucketBatchScriptSha1,
  tokenBucketScript,
  tokenBucketScriptSha1,
}

/**
 * A Spillway store: in-process, or on the bench's Redis through `client` (`batch: false` for one
 * `EVALSHA` per decision instead of one per tick).
 */
export function spillwayStore(client?: Redis, { batch = true } = {}): Store {
  return client ? new RedisStore({ client, prefix: 'bench:', batch }) : new MemoryStore()
}

/** Spillway's HybridStore on the bench's Redis, with its defaults (leases synced every second). */
export function spillwayHybridStore(client: Redis): Store {
  return new HybridStore({ client, prefix: 'bench:' })
}

/** The policy-defining options of a verdict (capacity and refill), e.g. for a Fastify route policy. */
export function policyOptions(verdict: Verdict) {
  return POLICIES[verdict]
}

/**
 * Adapter options for a verdict. A store failure answers 503 (not the default pass-through), so a
 * broken Redis shows up as wrong status codes instead of fast 200s.
 */
export function adapterOptions(verdict: Verdict, store: Store) {
  return { ...policyOptions(verdict), store, onStoreError: 'deny' as const }
}

/**
 * Two policies of one client decided all-or-nothing on the bench's Redis (`RedisStore.consumeAll`, as a
 * request under an app-wide and a route policy is): resolves whether the request was admitted.
 */
export function stackedDecide(client: Redis, { batch = true } = {}): (key: string) => Promise<boolean> {
  const store = new RedisStore({ client, prefix: 'bench:', batch })
  const policies = ['app', 'route'].map((name) => createPolicy({ name, ...POLICIES.admit }))
  return async (key) => {
    const steps = policies.map((policy) => ({ key: storeKey(policy.name, key), policy, cost: 1 }))
    return (await store.consumeAll(steps)).every((step) => step.allowed)
  }
}

/** A library-level limiter that admits every decision. */
export function admittingLimiter(store: Store): Limiter {
  return createLimiter({ ...POLICIES.admit, store })
}

/** A limiter whose one decision per key keeps the key for 6 minutes (memory per key). */
export function longLivedLimiter(store: Store): Limiter {
  return createLimiter({ ...LONG_LIVED, store })
}

/** `EVALSHA` arguments (after the key) of one admitted decision, as RedisStore sends them. */
export function scriptArguments(): string[] {
  const policy = createPolicy(POLICIES.admit)
  return [String(policy.emissionIntervalUs), String(policy.burstUs), '1']
}
