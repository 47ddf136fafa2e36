// The Lua script that steps one token bucket inside Redis, on Redis TIME; exported with its SHA1.
import { createHash } from 'node:crypto'
import type { LuaScript } from './run-script.js'

/**
 * One GCRA step, the same math as `stepBucket` in `@spillway/core`, in integer microseconds.
 *
 * - `KEYS[1]`: the bucket key, holding the theoretical arrival time `tat` (µs on Redis's clock) as a string
 *   of digits. Anything else found there (another type, `'nan'`, `'-5'`, `'1.5'`…) is an empty bucket, and
 *   is overwritten with a valid `tat` and an expiry: a poisoned key never fails a decision nor lives forever.
 * - `ARGV`: emission interval µs, burst µs (τ), cost.
 * - Returns `{allowed (1|0), debtUs}` with `debtUs = max(0, tat − now)` after the step: integers only.
 *
 * Lua numbers are doubles: every value stays an integer below 2^53 (epoch µs ≈ 1.8e15 plus τ ≤ 1e15),
 * and numbers go to `redis.call` as Lua numbers: Redis writes an integral number as its digits (`%.17g`
 * before 7.2, its integer form since; Valkey the same), never `tostring`'s `1.8e+15`. Formatting them in Lua
 * with `string.format` cost about 0.6 µs of Redis CPU per decision.
 *
 * @example
 * ```ts
 * await client.script('LOAD', tokenBucketScript) // optional: the store reloads it on NOSCRIPT by itself
 * ```
 */
export const tokenBucketScript = `-- spillway token bucket v2: GCRA step on Redis TIME (see @spillway/core stepBucket)
-- v2: a key that holds no tat (another type, or a string that is not digits) is an empty bucket, rewritten.
-- Reading TIME before a write is safe: since Redis 5 scripts replicate their effects (the SET with its
-- value), not the script, and Redis 7 knows no other mode. The call below turns that on for Redis 3.2-4.
if redis.replicate_commands then redis.replicate_commands() end

local key = KEYS[1]
local interval_us = tonumber(ARGV[1])
local burst_us = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])

local time = redis.call('TIME')
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])


-- Keep tat until the bucket would be full again (+1 ms so it never expires early). SET replaces any type.
-- Numbers, not strings: Redis writes an integral Lua number as its digits, cheaper than string.format.
local function store(tat_us)
  redis.call('SET', key, tat_us, 'PX', math.ceil((tat_us - now_us) / 1000) + 1)
end

-- Absent key (false): a full bucket. A string of digits: the stored tat. Anything else - a WRONGTYPE error
-- from another type, 'nan', '-5', '1.5', '' - was not written by this script: an empty bucket, rewritten.
local raw = redis.pcall('GET', key)
local stored_us = nil
local poisoned = false
if type(raw) == 'string' and string.find(raw, '^%d+$') then
  stored_us = tonumber(raw)
elseif raw then
  poisoned = true
end

-- A forward clock jump leaves tat <= now: full, never more than B tokens. A backward jump leaves
-- tat > now + burst (so does any huge number of digits): clamp to an empty bucket that refills normally.
local tat_us = math.min(math.max(stored_us or now_us, now_us), now_us + burst_us)
if poisoned then tat_us = now_us + burst_us end
local new_tat_us = tat_us + cost * interval_us

if new_tat_us - now_us <= burst_us then
  store(new_tat_us)
  return {1, new_tat_us - now_us}
end
if poisoned or (stored_us ~= nil and stored_us > tat_us) then
  store(tat_us)
end
return {0, tat_us - now_us}
`

/**
 * SHA1 of {@link tokenBucketScript}, as `SCRIPT LOAD` returns it: the name `EVALSHA` calls it by.
 *
 * @example
 * ```ts
 * const [allowed, debtUs] = await client.evalsha(tokenBucketScriptSha1, 1, key, intervalUs, burstUs, cost)
 * ```
 */
export const tokenBucketScriptSha1: string = createHash('sha1').update(tokenBucketScript).digest('hex')

/** The script and its SHA1, as {@link runScript} takes them. */
export const tokenBucket: LuaScript = { source: tokenBucketScript, sha1: tokenBucketScriptSha1 }
