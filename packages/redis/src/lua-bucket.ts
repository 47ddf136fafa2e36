// The Lua every bucket script shares (the clock, reading, clamping and writing a bucket), written once.
//
// Redis scripts cannot import each other, so each script's source is assembled from these fragments;
// the script-equals-stepBucket property tests run against the assembled text.

/**
 * Effects replication and `now_us` from Redis `TIME`. Reading `TIME` before a write is safe: since
 * Redis 5 scripts replicate their effects (the `SET` with its value), not the script, and Redis 7 knows
 * no other mode; the first line turns that on for Redis 3.2–4.
 */
const LUA_NOW = `if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
`

/**
 * `read_bucket(key)` → `stored_us, poisoned`. An absent key is a full bucket (`nil, false`); a string of
 * digits is the stored `tat`; anything else (a WRONGTYPE error from another type, `'nan'`, `'-5'`, `'1.5'`,
 * `''`) was not written by Spillway: `nil, true`, an empty bucket that the caller rewrites.
 */
const LUA_READ_BUCKET = `local function read_bucket(key)
  local raw = redis.pcall('GET', key)
  if type(raw) == 'string' and string.find(raw, '^%d+$') then return tonumber(raw), false end
  if raw then return nil, true end
  return nil, false
end
`

/**
 * `clamped_tat(stored_us, poisoned, window_us)`: the clock policy of `stepBucket`. A forward clock jump
 * leaves `tat ≤ now`: a full bucket, never more than B tokens. A backward jump leaves `tat > now + window`
 * (so does any huge number of digits): clamped to an empty bucket that refills normally. Poisoned: empty.
 */
const LUA_CLAMPED_TAT = `local function clamped_tat(stored_us, poisoned, window_us)
  if poisoned then return now_us + window_us end
  return math.min(math.max(stored_us or now_us, now_us), now_us + window_us)
end
`

/**
 * `store_bucket(key, tat_us)`: keeps `tat` until the bucket is full again (+1 ms, so it never expires
 * early); `SET` replaces a poisoned key of any type. Numbers go to `redis.call` as Lua numbers: Redis
 * writes an integral number as its digits (`%.17g` before 7.2, its integer form since; Valkey the same),
 * never `tostring`'s `1.8e+15`, and `string.format` cost about 0.6 µs of Redis CPU per decision. Every
 * value is an integer below 2^53 (epoch µs ≈ 1.8e15 plus τ ≤ 1e15).
 */
const LUA_STORE_BUCKET = `local function store_bucket(key, tat_us)
  redis.call('SET', key, tat_us, 'PX', math.ceil((tat_us - now_us) / 1000) + 1)
end
`

/** Every fragment above, in order: what a script that steps buckets starts with. */
export const LUA_BUCKET_PRELUDE = `${LUA_NOW}
${LUA_READ_BUCKET}
${LUA_CLAMPED_TAT}
${LUA_STORE_BUCKET}`
