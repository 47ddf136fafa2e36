// Library-level contenders: Spillway (async, sync; Redis batched or not) and rate-limiter-flexible, in memory and on Redis.
import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterUnion } from 'rate-limiter-flexible'
import { admittingLimiter, spillwayHybridStore, spillwayStore, stackedDecide } from '../spillway.js'

export type LibraryCaseId =
  | 'library-memory-spillway'
  | 'library-memory-spillway-sync'
  | 'library-memory-rlf'
  | 'library-redis-spillway'
  | 'library-redis-spillway-unbatched'
  | 'library-redis-spillway-hybrid'
  | 'library-redis-rlf'
  | 'library-redis-spillway-stacked'
  | 'library-redis-spillway-stacked-unbatched'
  | 'library-redis-rlf-union'

/** What the report needs to know of a case besides its figures. */
export interface LibraryCaseSpec {
  readonly id: string
  readonly label: string
  /** Decides on the bench's Redis (its Redis CPU per decision is meaningful). */
  readonly redis: boolean
  /** Whose code decides: Spillway, a peer library, or redis-benchmark running Spillway's script. */
  readonly contender: 'spillway' | 'peer' | 'ceiling'
}

export const LIBRARY_CASES: readonly (LibraryCaseSpec & { id: LibraryCaseId })[] = [
  {
    id: 'library-memory-spillway',
    label: 'Spillway MemoryStore, await consume()',
    redis: false,
    contender: 'spillway',
  },
  {
    id: 'library-memory-spillway-sync',
    label: 'Spillway MemoryStore, consumeSync()',
    redis: false,
    contender: 'spillway',
  },
  { id: 'library-memory-rlf', label: 'rate-limiter-flexible RateLimiterMemory', redis: false, contender: 'peer' },
  { id: 'library-redis-spillway', label: 'Spillway RedisStore, batched (default)', redis: true, contender: 'spillway' },
  {
    id: 'library-redis-spillway-unbatched',
    label: 'Spillway RedisStore, batch: false',
    redis: true,
    contender: 'spillway',
  },
  {
    id: 'library-redis-spillway-hybrid',
    label: 'Spillway HybridStore (leases, bounded over-admission)',
    redis: true,
    contender: 'spillway',
  },
  { id: 'library-redis-rlf', label: 'rate-limiter-flexible RateLimiterRedis', redis: true, contender: 'peer' },
  {
    id: 'library-redis-spillway-stacked',
    label: 'Spillway RedisStore, two policies all-or-nothing, batched (default)',
    redis: true,
    contender: 'spillway',
  },
  {
    id: 'library-redis-spillway-stacked-unbatched',
    label: 'Spillway RedisStore, two policies all-or-nothing, batch: false',
    redis: true,
    contender: 'spillway',
  },
  {
    id: 'library-redis-rlf-union',
    label: 'rate-limiter-flexible RateLimiterUnion of two RateLimiterRedis',
    redis: true,
    contender: 'peer',
  },
]

/** Takes one token for `key`; rejects if the decision was not an admission (the bench admits everything). */
export type Decide = (key: string) => Promise<void>
/** The same, synchronously; throws if the decision was not an admission. */
export type DecideSync = (key: string) => void

/** A contender the worker drives: awaited by concurrent callers, or called in a plain loop. */
export type Contender =
  | { readonly sync: false; readonly decide: Decide }
  | { readonly sync: true; readonly decide: DecideSync }

const HOUR_S = 3600
const POINTS = 1_000_000_000
const REJECTED = 'Spillway rejected in an all-admitted run'

/** Builds the contender of a case; `client` is the bench's Redis for the Redis cases. */
export function contender(id: LibraryCaseId, client?: Redis): Contender {
  if (id === 'library-memory-rlf' || id === 'library-redis-rlf') return { sync: false, decide: rlfDecide(id, client) }
  if (id === 'library-redis-rlf-union') return { sync: false, decide: rlfUnionDecide(client) }
  if (id === 'library-redis-spillway-stacked' || id === 'library-redis-spillway-stacked-unbatched') {
    const decide = stackedDecide(client as Redis, { batch: id === 'library-redis-spillway-stacked' })
    return { sync: false, decide: async (key) => assertAdmitted(await decide(key)) }
  }
  const store = id === 'library-memory-spillway' || id === 'library-memory-spillway-sync' ? undefined : client
  const limiter = admittingLimiter(
    id === 'library-redis-spillway-hybrid'
      ? spillwayHybridStore(client as Redis)
      : spillwayStore(store, { batch: id !== 'library-redis-spillway-unbatched' }),
  )
  if (id === 'library-memory-spillway-sync') {
    return {
      sync: true,
      decide: (key) => {
        if (!limiter.consumeSync(key).allowed) throw new Error(REJECTED)
      },
    }
  }
  return {
    sync: false,
    decide: async (key) => {
      if (!(await limiter.consume(key)).allowed) throw new Error(REJECTED)
    },
  }
}

function rlfDecide(id: 'library-memory-rlf' | 'library-redis-rlf', client?: Redis): Decide {
  const limiter =
    id === 'library-memory-rlf'
      ? new RateLimiterMemory({ points: POINTS, duration: HOUR_S })
      : new RateLimiterRedis({ storeClient: client, points: POINTS, duration: HOUR_S, keyPrefix: 'rlf' })
  return async (key) => {
    await limiter.consume(key) // rejects with a RateLimiterRes when out of points
  }
}

/** Two rate-limiter-flexible limiters on one key, as its docs combine limits (not all-or-nothing). */
function rlfUnionDecide(client?: Redis): Decide {
  const limiters = ['rlf-a', 'rlf-b'].map(
    (keyPrefix) => new RateLimiterRedis({ storeClient: client, points: POINTS, duration: HOUR_S, keyPrefix }),
  )
  const union = new RateLimiterUnion(...limiters)
  return async (key) => {
    await union.consume(key) // rejects when any limiter is out of points
  }
}

function assertAdmitted(allowed: boolean): void {
  if (!allowed) throw new Error(REJECTED)
}
