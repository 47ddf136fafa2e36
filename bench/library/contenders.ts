// Library-level contenders: one decide(key) function each, Spillway and rate-limiter-flexible, in memory and on Redis.
import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible'
import { admittingLimiter, spillwayStore } from '../spillway.js'

export type LibraryCaseId =
  | 'library-memory-spillway'
  | 'library-memory-rlf'
  | 'library-redis-spillway'
  | 'library-redis-rlf'

export const LIBRARY_CASES: readonly { id: LibraryCaseId; label: string; redis: boolean }[] = [
  { id: 'library-memory-spillway', label: 'Spillway MemoryStore', redis: false },
  { id: 'library-memory-rlf', label: 'rate-limiter-flexible RateLimiterMemory', redis: false },
  { id: 'library-redis-spillway', label: 'Spillway RedisStore', redis: true },
  { id: 'library-redis-rlf', label: 'rate-limiter-flexible RateLimiterRedis', redis: true },
]

/** Takes one token for `key`; rejects if the decision was not an admission (the bench admits everything). */
export type Decide = (key: string) => Promise<void>

const HOUR_S = 3600
const POINTS = 1_000_000_000

/** Builds the contender of a case; `client` is the bench's Redis for the Redis cases. */
export function contender(id: LibraryCaseId, client?: Redis): Decide {
  if (id === 'library-memory-spillway' || id === 'library-redis-spillway') {
    const limiter = admittingLimiter(spillwayStore(id === 'library-redis-spillway' ? client : undefined))
    return async (key) => {
      if (!(await limiter.consume(key)).allowed) throw new Error('Spillway rejected in an all-admitted run')
    }
  }
  const limiter =
    id === 'library-memory-rlf'
      ? new RateLimiterMemory({ points: POINTS, duration: HOUR_S })
      : new RateLimiterRedis({ storeClient: client, points: POINTS, duration: HOUR_S, keyPrefix: 'rlf' })
  return async (key) => {
    await limiter.consume(key) // rejects with a RateLimiterRes when out of points
  }
}
