// Library-level contenders: Spillway (async, sync; Redis batched or not) and rate-limiter-flexible, in memory and on Redis.
import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible'
import { admittingLimiter, spillwayStore } from '../spillway.js'

export type LibraryCaseId =
  | 'library-memory-spillway'
  | 'library-memory-spillway-sync'
  | 'library-memory-rlf'
  | 'library-redis-spillway'
  | 'library-redis-spillway-unbatched'
  | 'library-redis-rlf'

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
  { id: 'library-redis-rlf', label: 'rate-limiter-flexible RateLimiterRedis', redis: true, contender: 'peer' },
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
  const store = id === 'library-memory-spillway' || id === 'library-memory-spillway-sync' ? undefined : client
  const limiter = admittingLimiter(spillwayStore(store, { batch: id !== 'library-redis-spillway-unbatched' }))
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
