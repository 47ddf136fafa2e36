// The Lua scripts that read, reset and refund one token bucket inside Redis, on Redis TIME; each with its SHA1.
import { createHash } from 'node:crypto'
import { LUA_BUCKET_PRELUDE } from './lua-bucket.js'
import type { LuaScript } from './run-script.js'

/**
 * What every script below shares with the token bucket script: Redis TIME, the stored `tat` read as a
 * string of digits, and anything else (another type, `'nan'`, `'-5'`…) taken as an empty bucket.
 */
const READ_BUCKET = `${LUA_BUCKET_PRELUDE}
local key = KEYS[1]
local interval_us = tonumber(ARGV[1])
local burst_us = tonumber(ARGV[2])
local stored_us, poisoned = read_bucket(key)
local tat_us = clamped_tat(stored_us, poisoned, burst_us)
`

/**
 * Reads a bucket without writing: `ARGV` = emission interval µs, burst µs. Returns
 * `{oneTokenThere (1|0), debtUs}`, integers. A poisoned key reads as empty and is left as it is
 * (the next decision rewrites it).
 *
 * @example
 * ```ts
 * const [allowed, debtUs] = await client.evalsha(peekBucketScriptSha1, 1, key, intervalUs, burstUs)
 * ```
 */
export const peekBucketScript = `-- spillway peek bucket v1: the state of a bucket on Redis TIME, nothing written
${READ_BUCKET}
local debt_us = tat_us - now_us
return {debt_us + interval_us <= burst_us and 1 or 0, debt_us}
`

/**
 * Gives tokens back: `ARGV` = emission interval µs, burst µs, tokens. `tat ← max(now, tat − tokens·T)`,
 * so a bucket never rises above its capacity; a full bucket is deleted, any other is written with the
 * expiry of the token bucket script (a poisoned key is an empty bucket, refunded and rewritten). Returns
 * `{oneTokenThere (1|0), debtUs}` after the refund.
 *
 * @example
 * ```ts
 * const [allowed, debtUs] = await client.evalsha(refundBucketScriptSha1, 1, key, intervalUs, burstUs, 1)
 * ```
 */
export const refundBucketScript = `-- spillway refund bucket v1: tat <- max(now, tat - tokens * T) on Redis TIME
${READ_BUCKET}
local tokens = tonumber(ARGV[3])
if stored_us == nil and not poisoned then return {1, 0} end
local new_tat_us = math.max(now_us, tat_us - tokens * interval_us)
if new_tat_us <= now_us then
  redis.call('DEL', key)
else
  store_bucket(key, new_tat_us)
end
local debt_us = new_tat_us - now_us
return {debt_us + interval_us <= burst_us and 1 or 0, debt_us}
`

/**
 * Forgets a bucket (and anything poisoned at its key): `DEL`, in a script so that every store call goes
 * through one path (`EVALSHA`, reloaded on `NOSCRIPT`). Returns 1 when a key was deleted, else 0.
 *
 * @example
 * ```ts
 * await client.evalsha(resetBucketScriptSha1, 1, key)
 * ```
 */
export const resetBucketScript = `-- spillway reset bucket v1
return redis.call('DEL', KEYS[1])
`

const sha1Of = (source: string) => createHash('sha1').update(source).digest('hex')

/** SHA1 of {@link peekBucketScript}, as `SCRIPT LOAD` returns it. */
export const peekBucketScriptSha1: string = sha1Of(peekBucketScript)
/** SHA1 of {@link refundBucketScript}, as `SCRIPT LOAD` returns it. */
export const refundBucketScriptSha1: string = sha1Of(refundBucketScript)
/** SHA1 of {@link resetBucketScript}, as `SCRIPT LOAD` returns it. */
export const resetBucketScriptSha1: string = sha1Of(resetBucketScript)

/** The scripts and their SHA1s, as `runScript` takes them. */
export const peekBucket: LuaScript = { source: peekBucketScript, sha1: peekBucketScriptSha1 }
export const refundBucket: LuaScript = { source: refundBucketScript, sha1: refundBucketScriptSha1 }
export const resetBucket: LuaScript = { source: resetBucketScript, sha1: resetBucketScriptSha1 }
