// The Lua script for a policy with blockDuration: the bucket step and its block, atomically, on Redis TIME; with its SHA1.
import { createHash } from 'node:crypto'
import type { Policy, StepResult } from '@spillway/core'
import { LUA_BUCKET_PRELUDE } from './lua-bucket.js'
import { type LuaScript, runScript } from './run-script.js'
import type { ScriptRunner } from './script-runner.js'

/**
 * One decision of a policy with a block, the same math as `stepBlockedBucket` in `@spillway/core/store`.
 *
 * - `KEYS[1]`: the bucket (its `tat`, as in {@link tokenBucketScript}); `KEYS[2]`: the block,
 *   `<bucket key>:block`, in the same Cluster slot (same hash tag), holding `"<until µs>:<level>"` with
 *   an expiry `max` after the block ends (the level is remembered that long). The bucket's `tat` is
 *   clamped to `now + τ`, so it cannot hold a block itself: the block needs its own key.
 * - `ARGV`: emission interval µs, burst µs, cost, first block µs, longest block µs, factor.
 * - While the key is blocked the bucket is not touched: `{0, debtUs, blockedUs}`. Otherwise the GCRA
 *   step; a rejection of a cost the bucket could ever admit starts a block one level above the remembered
 *   one (`first × factor^level`, at most `max`): `{0, debtUs, blockUs}`. Admitted: `{1, debtUs, 0}`.
 * - A block key holding anything else is no block (and is replaced by the next one).
 *
 * @example
 * ```ts
 * await client.evalsha(tokenBucketBlockScriptSha1, 2, key, `${key}:block`, intervalUs, burstUs, 1, 6e7, 3.6e9, 2)
 * ```
 */
export const tokenBucketBlockScript = `-- spillway token bucket with block v1: GCRA step and blockDuration on Redis TIME (see stepBlockedBucket)
${LUA_BUCKET_PRELUDE}
local key = KEYS[1]
local block_key = KEYS[2]
local interval_us = tonumber(ARGV[1])
local burst_us = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local first_block_us = tonumber(ARGV[4])
local max_block_us = tonumber(ARGV[5])
local factor = tonumber(ARGV[6])

local function int(x)
  return string.format('%.0f', x)
end

local stored_us, poisoned = read_bucket(key)
local tat_us = clamped_tat(stored_us, poisoned, burst_us)

-- The block: until (clamped to now + max after a backward clock jump) and level; anything else is none.
local until_us = nil
local level = -1
local braw = redis.pcall('GET', block_key)
if type(braw) == 'string' then
  local u, l = string.match(braw, '^(%d+):(%d+)$')
  if u then
    until_us = math.min(tonumber(u), now_us + max_block_us)
    level = tonumber(l)
  end
end
if until_us and until_us > now_us then
  return {0, tat_us - now_us, until_us - now_us}
end

local new_tat_us = tat_us + cost * interval_us
if new_tat_us - now_us <= burst_us then
  store_bucket(key, new_tat_us)
  return {1, new_tat_us - now_us, 0}
end
if poisoned or (stored_us ~= nil and stored_us > tat_us) then
  store_bucket(key, tat_us)
end
if cost * interval_us > burst_us then
  return {0, tat_us - now_us, 0}
end

-- A new block, one level above the remembered one, multiplied step by step exactly as blockLengthUs.
local next_level = math.min(level + 1, 64)
local length_us = first_block_us
local i = 1
while i <= next_level and length_us < max_block_us do
  length_us = length_us * factor
  i = i + 1
end
length_us = math.floor(math.min(length_us, max_block_us))
redis.call('SET', block_key, int(now_us + length_us) .. ':' .. next_level, 'PX', int(math.ceil((length_us + max_block_us) / 1000) + 1))
return {0, tat_us - now_us, length_us}
`

/** SHA1 of {@link tokenBucketBlockScript}, as `SCRIPT LOAD` returns it. */
export const tokenBucketBlockScriptSha1: string = createHash('sha1').update(tokenBucketBlockScript).digest('hex')

/** The block script and its SHA1, as `runScript` takes them. */
export const tokenBucketBlock: LuaScript = { source: tokenBucketBlockScript, sha1: tokenBucketBlockScriptSha1 }

/** Forgets a bucket and its block: `DEL KEYS[1] KEYS[2]` (one slot, one call). */
export const resetBlockedBucket: LuaScript = {
  source: "return redis.call('DEL', KEYS[1], KEYS[2])",
  sha1: createHash('sha1').update("return redis.call('DEL', KEYS[1], KEYS[2])").digest('hex'),
}

/** The Redis key of a bucket's block: same hash tag as the bucket, so the same Cluster slot. */
export function blockKeyOf(bucketKey: string): string {
  return `${bucketKey}:block`
}

/**
 * One decision of a blocking policy: one `EVALSHA` of {@link tokenBucketBlockScript} (not batched:
 * keys that are blocked or empty are rejected in-process before they get here).
 *
 * @example
 * ```ts
 * const step = await consumeBlocking(runner, 'spillway:login:{alice}', policy, 1)
 * ```
 */
export async function consumeBlocking(
  runner: ScriptRunner,
  key: string,
  policy: Policy,
  cost: number,
): Promise<StepResult> {
  const block = policy.block as NonNullable<Policy['block']>
  const args = [policy.emissionIntervalUs, policy.burstUs, cost, block.durationUs, block.maxDurationUs, block.factor]
  return parseBlockedStep(await runScript(runner, tokenBucketBlock, [key, blockKeyOf(key)], args))
}

/** `{allowed (1|0), debtUs ≥ 0, blockedUs ≥ 0}`, or an error: a wrong reply never becomes a decision. */
export function parseBlockedStep(reply: unknown): StepResult {
  const [allowed, debtUs, blockedUs] = Array.isArray(reply) ? reply.map(Number) : []
  const valid = (n: number | undefined) => n !== undefined && Number.isSafeInteger(n) && n >= 0
  if (reply === undefined || !Array.isArray(reply) || reply.length !== 3 || !valid(debtUs) || !valid(blockedUs)) {
    throw unexpected(reply)
  }
  if (allowed !== 0 && allowed !== 1) throw unexpected(reply)
  return { allowed: allowed === 1, debtUs: debtUs as number, blockedUs: blockedUs as number }
}

function unexpected(reply: unknown): Error {
  const text = JSON.stringify(reply) ?? String(reply)
  return new Error(`[spillway] unexpected reply from the token bucket block script: ${text.slice(0, 200)}`)
}
