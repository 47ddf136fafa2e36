// The Lua script of HybridStore's sync call: returns and leases on many GCRA buckets plus one heartbeat, one TIME; with its SHA1.
import { createHash } from 'node:crypto'
import { LUA_BUCKET_PRELUDE } from './lua-bucket.js'
import type { LuaScript } from './run-script.js'

/**
 * One sync call of {@link HybridStore}, atomic as every script. Same bucket storage as
 * {@link tokenBucketScript} (the key holds `tat` in µs on Redis `TIME`, absent = full, anything but
 * digits = empty and rewritten), so a `RedisStore` and a `HybridStore` on one prefix share buckets.
 *
 * - `KEYS[1]`, `ARGV[1]`, `ARGV[2]`: the fleet's sorted set, this process's id and what to do with
 *   it: `ARGV[2] > 0` beats (`ZADD` at `TIME` ms, drop members older than `ARGV[2]` ms, reply N =
 *   `ZCARD`), `-1` leaves (`ZREM`), `0` does nothing (reply N = 0).
 * - Entry `i` (from 1): `KEYS[1 + i]` and `ARGV[3 + 5(i−1) …]` = emission interval µs, burst µs,
 *   `returned`, `want`, `need`. First `returned` unspent tokens go back: `tat ← max(now, tat − returned·T)`,
 *   which never fills the bucket above B. Then, when at least `need` tokens are there, a lease of
 *   `g = min(max(want, need), available)` tokens is taken as an ordinary admission of cost `g`
 *   (`tat ← max(tat, now) + g·T`); otherwise `g = 0` and nothing is taken.
 *
 * Replies `{N, g1, debtUs1, waitUs1, g2, …}`: `debtUs` = `max(0, tat − now)` after the entry, and
 * `waitUs` = µs until `max(need, 1)` more tokens will be there (0 when they are there now). Integers only.
 *
 * @example
 * ```ts
 * const reply = await client.evalsha(hybridLeaseScriptSha1, 2, fleetKey, key, processId, 3000, 10000, 1e6, 0, 50, 1)
 * ```
 */
export const hybridLeaseScript = `-- spillway hybrid lease v1: returns, leases and a heartbeat in one call, one TIME
${LUA_BUCKET_PRELUDE}
local function int(x)
  return string.format('%.0f', x)
end

-- The bucket as token bucket v2 reads it, and whether it must be rewritten (poisoned, or clamped after a
-- backward clock jump).
local function read_tat(key, burst_us)
  local stored_us, poisoned = read_bucket(key)
  return clamped_tat(stored_us, poisoned, burst_us), poisoned or (stored_us ~= nil and stored_us > now_us + burst_us)
end

local function lease(key, interval_us, burst_us, returned, want, need)
  local tat_us, dirty = read_tat(key, burst_us)
  if returned > 0 then
    tat_us = math.max(now_us, tat_us - returned * interval_us)
    dirty = true
  end
  local available = math.floor((burst_us - (tat_us - now_us)) / interval_us)
  local granted = 0
  if available >= need then granted = math.min(math.max(want, need), available) end
  if granted > 0 then
    tat_us = tat_us + granted * interval_us
    dirty = true
  end
  if dirty then store_bucket(key, tat_us) end
  local wait_us = math.max(0, tat_us + math.max(need, 1) * interval_us - burst_us - now_us)
  return granted, tat_us - now_us, wait_us
end

local fleet = 0
local stale_ms = tonumber(ARGV[2])
if stale_ms > 0 then
  local now_ms = math.floor(now_us / 1000)
  redis.call('ZADD', KEYS[1], int(now_ms), ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. int(now_ms - stale_ms))
  redis.call('PEXPIRE', KEYS[1], int(stale_ms * 2))
  fleet = redis.call('ZCARD', KEYS[1])
elseif stale_ms < 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
end

local replies = { fleet }
for i = 1, #KEYS - 1 do
  local a = 2 + 5 * (i - 1)
  local granted, debt_us, wait_us = lease(KEYS[1 + i], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]),
    tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]))
  replies[3 * i - 1] = granted
  replies[3 * i] = debt_us
  replies[3 * i + 1] = wait_us
end
return replies
`

/**
 * SHA1 of {@link hybridLeaseScript}, as `SCRIPT LOAD` returns it.
 *
 * @example
 * ```ts
 * await client.evalsha(hybridLeaseScriptSha1, 1, fleetKey, processId, 3000)
 * ```
 */
export const hybridLeaseScriptSha1: string = createHash('sha1').update(hybridLeaseScript).digest('hex')

/** The lease script and its SHA1, as `runScript` takes them. */
export const hybridLease: LuaScript = { source: hybridLeaseScript, sha1: hybridLeaseScriptSha1 }
