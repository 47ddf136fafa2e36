// blockDuration on a real redis-server: the block lives in Redis (next to the bucket), and blocked or empty keys cost Redis nothing.
import { createLimiter, type Limiter, resilient } from '@spillway/core'
import { RedisStore } from '@spillway/redis'
import { expect, it } from 'vitest'
import { useRedisServer } from '../harness/redis-fixture.js'
import { randomKeyPrefix } from '../harness/redis-server.js'

const redis = useRedisServer()

/** Commands Redis ran, from INFO commandstats (the INFO calls themselves left out). */
async function commandsRun(): Promise<number> {
  const info = await redis.client.info('commandstats')
  let calls = 0
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (match[1] !== 'info') calls += Number(match[2])
  return calls
}

async function redisCallsPerDecision(
  limiter: Limiter,
  decisions: number,
): Promise<{ perDecision: number; allowed: number }> {
  const before = await commandsRun()
  let allowed = 0
  for (let i = 0; i < decisions; i++) if ((await limiter.consume('abuser')).allowed) allowed++
  return { perDecision: ((await commandsRun()) - before) / decisions, allowed }
}

function redisStore(prefix: string) {
  return new RedisStore({ client: redis.client, prefix, heartbeat: false })
}

it('keeps the block in Redis, next to the bucket: another process sees it, Retry-After the remaining block', async () => {
  const prefix = randomKeyPrefix('block')
  // One token a second: the third call finds the bucket empty (at 10/s, 100 ms of round trips refilled it).
  const policy = { name: 'login', capacity: 2, refillRate: 1, blockDuration: '1m' }
  const one = createLimiter({ ...policy, store: redisStore(prefix) })
  expect((await one.consume('alice')).allowed).toBe(true)
  expect((await one.consume('alice')).allowed).toBe(true)
  expect(await one.consume('alice')).toMatchObject({ allowed: false, blockedMs: 60_000, retryAfterMs: 60_000 })
  const ttlMs = await redis.client.pttl(`${prefix}login:{alice}:block`)
  expect(ttlMs).toBeGreaterThan(60_000) // the level is remembered for max after the block ends
  // Another process (its own limiter, nothing known in-process) is rejected by Redis itself.
  const other = createLimiter({ ...policy, store: redisStore(prefix) })
  const seen = await other.consume('alice')
  expect(seen.allowed).toBe(false)
  expect(seen.retryAfterMs).toBeGreaterThan(50_000)
  expect(seen.retryAfterMs).toBeLessThanOrEqual(60_000)
  await other.reset('alice')
  expect(await redis.client.exists(`${prefix}login:{alice}:block`, `${prefix}login:{alice}`)).toBe(0)
  expect((await other.consume('alice')).allowed).toBe(true)
})

it('costs Redis far below one command per decision for a blocked or empty key', async () => {
  const blocked = createLimiter({
    capacity: 5,
    refillRate: 1,
    blockDuration: '1m',
    store: redisStore(randomKeyPrefix('b')),
  })
  const withBlock = await redisCallsPerDecision(blocked, 2000)
  expect(withBlock.allowed).toBe(5)
  expect(withBlock.perDecision).toBeLessThan(0.05)
  // No block: known-empty keys are rejected in-process until the next token Redis announced.
  const empty = createLimiter({ capacity: 5, refillRate: 1, store: redisStore(randomKeyPrefix('e')) })
  const known = await redisCallsPerDecision(empty, 2000)
  expect(known.perDecision).toBeLessThan(0.05)
  // Through the default failure wrapping (resilient), the same.
  const wrapped = createLimiter({
    capacity: 5,
    refillRate: 1,
    blockDuration: '1m',
    store: resilient(redisStore(randomKeyPrefix('r'))),
  })
  const safe = await redisCallsPerDecision(wrapped, 2000)
  expect(safe.perDecision).toBeLessThan(0.05)
  console.log(
    `Redis commands per decision, always-rejected key, 2000 decisions: blocked ${withBlock.perDecision}, ` +
      `known-empty ${known.perDecision}, blocked through resilient() ${safe.perDecision}`,
  )
})
