// The Lua script that steps one token bucket inside Redis, on Redis TIME; exported with its SHA1.
import { createHash } from 'node:crypto'
import { LUA_BUCKET_PRELUDE } from './lua-bucket.js'
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
 * Integers only: see `LUA_STORE_BUCKET` (lua-bucket.ts) for how they stay exact in Lua's doubles.
 *
 * @example
 * ```ts
 * await client.script('LOAD', tokenBucketScript) // optional: the store reloads it on NOSCRIPT by itself
 * ```
 */
export const tokenBucketScript = `-- spillway token bucket v2: GCRA step on Redis TIME (see @spillway/core stepBucket)
-- v2: a key that holds no tat (another type, or a string that is not digits) is an empty bucket, rewritten.
${LUA_BUCKET_PRELUDE}
local key = KEYS[1]
local interval_us = tonumber(ARGV[1])
local burst_us = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])

local stored_us, poisoned = read_bucket(key)
local tat_us = clamped_tat(stored_us, poisoned, burst_us)
local new_tat_us = tat_us + cost * interval_us
if new_tat_us - now_us <= burst_us then
  store_bucket(key, new_tat_us)
  return {1, new_tat_us - now_us}
end
-- Rejected: rewrite only what was poisoned or clamped after a backward clock jump.
if poisoned or (stored_us ~= nil and stored_us > tat_us) then
  store_bucket(key, tat_us)
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
