// The Lua script that decides several token buckets all-or-nothing, on one Redis TIME; with its SHA1.
import { createHash } from 'node:crypto'
import { LUA_BUCKET_PRELUDE } from './lua-bucket.js'
import type { LuaScript } from './run-script.js'

/**
 * All-or-nothing decisions over `KEYS`, in groups: each group is the policies of one request, the math of
 * `decideTogetherAt` in `@spillway/core`. `ARGV` starts with the call's policies: their number P, then
 * per policy its emission interval µs, burst µs (τ) and window µs (`τ + D`, core's `admissionWindowUs`: the
 * clamp, wider than τ for a policy with `maxWait`, so what waiting requests reserved on credit stays
 * reserved; never admitted on credit here). Then per group in order: its number of steps n, then per step
 * its policy's number (1..P; negative for a held step: tokens an earlier decision took for the same
 * request) and its cost; the group's keys are the next n `KEYS`. When every step of a group that is not
 * held fits (`max(tat, now) + cost·T − now ≤ τ`), every one is taken; else nothing is, and held steps are
 * given back: `tat ← max(now, tat − cost·T)`, never above capacity. Two steps on one key see each other,
 * within a group and across groups (a group writes its keys before the next one reads). Storage and
 * poisoned keys as token bucket v2. Returns `{allowed1, debtUs1, …}` for every step in order: `allowed`
 * says whether the bucket had the tokens (a held step always had), `debtUs` its state after the decision;
 * integers only. Redis runs it as one command, so no other decision sees a state in between; the groups of
 * one call are the requests of one event-loop turn (RedisStore batches them). Each policy's numbers go
 * once per call and nothing is allocated per group: in calls of 50 requests under two policies, about 8.4 µs
 * of Redis CPU per request, against 11.1 with five arguments per step and a table per key (one request per
 * call: no difference measured, the call's own cost dominates). On Redis Cluster every key of
 * one call must be in one slot: the limiter's `{client key}` hash tag puts one identity's there.
 *
 * @example
 * ```ts
 * // One request under two policies (global, login): two policies, one group of two steps of cost 1.
 * const reply = await client.evalsha(tokenBucketAllScriptSha1, 2, global, login, 2, tG, bG, wG, tL, bL, wL, 2, 1, 1, 2, 1)
 * ```
 */
export const tokenBucketAllScript = `-- spillway token bucket all-or-nothing v4: groups of steps, each all taken or none (held ones given back); clamp window per policy
-- v4: ARGV: P, then interval, burst, window per policy; per group: n, then per step ±policy number (− held), cost.
${LUA_BUCKET_PRELUDE}
-- The policies of the call: ARGV[1] = P, then per policy interval µs, burst µs, window µs (τ + D).
local interval_of, burst_of, window_of = {}, {}, {}
for p = 1, tonumber(ARGV[1]) do
  local a = 3 * p - 1
  interval_of[p], burst_of[p], window_of[p] = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
end

-- Per step of the group being decided (reused from group to group): the first step on its key (whose
-- entries below hold the key's state), its policy, cost, whether held, and whether its bucket had the tokens.
local owner, policy, cost, held, fits = {}, {}, {}, {}, {}
-- Per key (at its first step): the tat the decision leaves, the trial's tat (false: none yet), whether to write.
local tat, trial, dirty = {}, {}, {}
local replies = {}

-- The key's tat clamped to step i's window; a stored tat clamped down is rewritten (as a step does).
local function clamped(i)
  local o = owner[i]
  local tat_us = math.min(math.max(tat[o], now_us), now_us + window_of[policy[i]])
  if tat_us ~= tat[o] and tat[o] > now_us then dirty[o] = true end
  return tat_us
end

-- Decides the group of n steps on KEYS[k + 1 .. k + n], their arguments (policy, cost) from ARGV[a]; a held
-- step's policy number is negative.
local function decide_group(k, n, a)
  for i = 1, n do
    local key, b = KEYS[k + i], a + 2 * (i - 1)
    local p = tonumber(ARGV[b])
    policy[i], cost[i], held[i] = math.abs(p), tonumber(ARGV[b + 1]), p < 0
    owner[i] = i
    for j = 1, i - 1 do
      if KEYS[k + j] == key then
        owner[i] = owner[j]
        break
      end
    end
    if owner[i] == i then
      local stored_us, poisoned = read_bucket(key)
      if poisoned then tat[i] = now_us + window_of[policy[i]] else tat[i] = stored_us or now_us end
      trial[i], dirty[i] = false, poisoned
    end
  end
  -- Trial: does every step that is not held fit? (repeated keys see the earlier steps' tokens taken)
  local taken = true
  for i = 1, n do
    local o, p = owner[i], policy[i]
    local tat_us = clamped(i)
    if trial[o] then tat_us = math.min(math.max(trial[o], now_us), now_us + window_of[p]) end
    if held[i] then
      fits[i] = true
    else
      local new_tat_us = tat_us + cost[i] * interval_of[p]
      fits[i] = new_tat_us - now_us <= burst_of[p]
      if fits[i] then trial[o] = new_tat_us else taken = false end
    end
  end
  -- Apply: take every step, or give back the held ones.
  for i = 1, n do
    local o, p = owner[i], policy[i]
    local tat_us = clamped(i)
    if taken and not held[i] then
      tat_us = tat_us + cost[i] * interval_of[p]
      dirty[o] = true
    elseif not taken and held[i] then
      tat_us = math.max(now_us, tat_us - cost[i] * interval_of[p])
      dirty[o] = true
    end
    tat[o] = tat_us
    replies[2 * (k + i) - 1] = fits[i] and 1 or 0
    replies[2 * (k + i)] = tat_us - now_us
  end
  -- Each key written once.
  for i = 1, n do
    if owner[i] == i and dirty[i] then
      if tat[i] > now_us then
        store_bucket(KEYS[k + i], tat[i])
      else
        redis.call('DEL', KEYS[k + i])
      end
    end
  end
end

local k, a = 0, 2 + 3 * tonumber(ARGV[1])
while k < #KEYS do
  local n = tonumber(ARGV[a])
  decide_group(k, n, a + 1)
  k = k + n
  a = a + 1 + 2 * n
end
return replies
`

/**
 * SHA1 of {@link tokenBucketAllScript}, as `SCRIPT LOAD` returns it.
 *
 * @example
 * ```ts
 * await client.evalsha(tokenBucketAllScriptSha1, 1, key, 1, intervalUs, burstUs, burstUs, 1, 1, 1)
 * ```
 */
export const tokenBucketAllScriptSha1: string = createHash('sha1').update(tokenBucketAllScript).digest('hex')

/** The all-or-nothing script and its SHA1, as `runScript` takes them. */
export const tokenBucketAll: LuaScript = { source: tokenBucketAllScript, sha1: tokenBucketAllScriptSha1 }
