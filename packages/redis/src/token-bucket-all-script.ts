// The Lua script that decides several token buckets all-or-nothing, on one Redis TIME; with its SHA1.
import { createHash } from 'node:crypto'
import { LUA_BUCKET_PRELUDE } from './lua-bucket.js'
import type { LuaScript } from './run-script.js'

/**
 * All-or-nothing decisions over `KEYS`, in groups: each group is the policies of one request, the math of
 * `decideTogetherAt` in `@spillway/core`. `ARGV` holds, per group in order, its number of steps n, then
 * 5 arguments per step: emission interval µs, burst µs, cost, held (1|0), window µs (`τ + D`, core's
 * `admissionWindowUs`: the clamp, wider than τ for a policy with `maxWait`, so what waiting requests
 * reserved on credit stays reserved; never admitted on credit here); the group's keys are the next n
 * `KEYS`. When every step of a group that is not held fits (`max(tat, now) + cost·T − now ≤ τ`), every one
 * is taken; else nothing is, and held steps (tokens an earlier decision took for the same request) are
 * given back: `tat ← max(now, tat − cost·T)`, never above capacity. Two steps on one key see each other,
 * within a group and across groups (a group writes its keys before the next one reads). Storage and
 * poisoned keys as token bucket v2. Returns `{allowed1, debtUs1, …}` for every step in order: `allowed`
 * says whether the bucket had the tokens (a held step always had), `debtUs` its state after the decision;
 * integers only. Redis runs it as one command, so no other decision sees a state in between; the groups
 * of one call are the requests of one event-loop turn (RedisStore batches them). On Redis Cluster every
 * key of one call must be in one slot: the limiter's `{client key}` hash tag puts one identity's there.
 *
 * @example
 * ```ts
 * // One request with two policies (global, login): one group of two steps.
 * const reply = await client.evalsha(tokenBucketAllScriptSha1, 2, global, login, 2, tG, bG, 1, 0, bG, tL, bL, 1, 0, bL)
 * ```
 */
export const tokenBucketAllScript = `-- spillway token bucket all-or-nothing v3: groups of steps, each all taken or none (held ones given back); clamp window per step
-- v3: ARGV per group: n, then 5 per step; a call decides the groups in order.
${LUA_BUCKET_PRELUDE}
-- A key's state in a group: stored tat, poisoned, and the tat this decision leaves (clamped as a step clamps).
local function tat_of(state, key, window_us)
  local entry = state[key]
  if entry == nil then
    local stored_us, poisoned = read_bucket(key)
    entry = { stored = stored_us, poisoned = poisoned, dirty = poisoned }
    if poisoned then entry.tat = now_us + window_us else entry.tat = stored_us or now_us end
    state[key] = entry
  end
  local tat_us = math.min(math.max(entry.tat, now_us), now_us + window_us)
  if tat_us ~= entry.tat and entry.tat > now_us then entry.dirty = true end
  return entry, tat_us
end

local replies = {}

-- Decides the group of n steps on KEYS[k + 1 .. k + n], their arguments from ARGV[a]; each key written once, at the end.
local function decide_group(k, n, a)
  local function arg(i, j) return tonumber(ARGV[a + 5 * (i - 1) + j - 1]) end
  local state = {}
  -- Trial: does every step that is not held fit? (on a copy of the times, so repeated keys see each other)
  local trial = {}
  local fits = {}
  local taken = true
  for i = 1, n do
    local key, interval_us, burst_us, cost, window_us = KEYS[k + i], arg(i, 1), arg(i, 2), arg(i, 3), arg(i, 5)
    local _, tat_us = tat_of(state, key, window_us)
    if trial[key] then tat_us = math.min(math.max(trial[key], now_us), now_us + window_us) end
    if arg(i, 4) == 1 then
      fits[i] = true
    else
      local new_tat_us = tat_us + cost * interval_us
      fits[i] = new_tat_us - now_us <= burst_us
      if fits[i] then trial[key] = new_tat_us else taken = false end
    end
  end
  -- Apply: take every step, or give back the held ones.
  for i = 1, n do
    local key, interval_us, cost, held = KEYS[k + i], arg(i, 1), arg(i, 3), arg(i, 4) == 1
    local entry, tat_us = tat_of(state, key, arg(i, 5))
    if taken and not held then
      tat_us = tat_us + cost * interval_us
      entry.dirty = true
    elseif not taken and held then
      tat_us = math.max(now_us, tat_us - cost * interval_us)
      entry.dirty = true
    end
    entry.tat = tat_us
    replies[2 * (k + i) - 1] = fits[i] and 1 or 0
    replies[2 * (k + i)] = tat_us - now_us
  end
  for i = 1, n do
    local key = KEYS[k + i]
    local entry = state[key]
    if entry.dirty then
      entry.dirty = false
      if entry.tat > now_us then
        store_bucket(key, entry.tat)
      else
        redis.call('DEL', key)
      end
    end
  end
end

local k, a = 0, 1
while k < #KEYS do
  local n = tonumber(ARGV[a])
  decide_group(k, n, a + 1)
  k = k + n
  a = a + 1 + 5 * n
end
return replies
`

/**
 * SHA1 of {@link tokenBucketAllScript}, as `SCRIPT LOAD` returns it.
 *
 * @example
 * ```ts
 * await client.evalsha(tokenBucketAllScriptSha1, 1, key, 1, intervalUs, burstUs, 1, 0, burstUs)
 * ```
 */
export const tokenBucketAllScriptSha1: string = createHash('sha1').update(tokenBucketAllScript).digest('hex')

/** The all-or-nothing script and its SHA1, as `runScript` takes them. */
export const tokenBucketAll: LuaScript = { source: tokenBucketAllScript, sha1: tokenBucketAllScriptSha1 }
