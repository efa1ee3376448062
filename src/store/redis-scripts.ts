/**
 * The Lua scripts of the Redis store. Each runs atomically in Redis, so
 * every node of a cluster sees one order of events, one retained state and
 * one retention boundary.
 *
 * Keys (all under one `{prefix}` hash tag, so they share a Redis Cluster slot):
 * 1. the stream: one entry per event, id `<position>-0`, fields `i` (public
 *    id), `t` (ms since the epoch, Redis's clock) and `d` (the draft as JSON,
 *    without its id);
 * 2. ids: hash public id → position, for the events the stream keeps;
 * 3. latest: hash retain key → `position\ntime\nid\njson` (retained state);
 * 4. order: sorted set retain key → position, to drop the least recently
 *    updated topic past the bound;
 * 5. meta: hash `seq` (the newest position), `head_id`, `pruned_pos` and
 *    `pruned_id` (the newest event pruned: its id still resolves).
 *
 * Positions start from Redis's clock in microseconds when `seq` is missing,
 * so after Redis loses its data (no persistence, a flush), new positions are
 * still above every position a hub delivered before, and live delivery goes on.
 * Public ids cannot contain a line feed (SSE forbids it), so `\n` separates
 * the parts of a retained value.
 */

/** Removes the `count` oldest entries, forgetting their ids and remembering the newest removed. */
const TRIM = `
local function field(fields, name)
  for j = 1, #fields, 2 do
    if fields[j] == name then return fields[j + 1] end
  end
  return nil
end

local function trim(count)
  if count <= 0 then return 0 end
  local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', count)
  local lastPos, lastId
  for _, entry in ipairs(entries) do
    local pos = string.match(entry[1], '^(%d+)-')
    local id = field(entry[2], 'i')
    if id ~= nil and redis.call('HGET', KEYS[2], id) == pos then
      redis.call('HDEL', KEYS[2], id)
    end
    lastPos, lastId = pos, id
  end
  if lastPos ~= nil then
    redis.call('XTRIM', KEYS[1], 'MINID', lastPos .. '-1')
    redis.call('HSET', KEYS[5], 'pruned_pos', lastPos, 'pruned_id', lastId or '')
  end
  return #entries
end
`;

/**
 * Appends events. ARGV: maxEvents, maxRetainedTopics, n, then per event its
 * id, retain key and JSON. Returns the first position and the time, as strings.
 * Trims at most n + 1000 entries past `maxEvents`, so one call stays short
 * even after the retention was lowered; `prune` trims the rest.
 */
export const APPEND_SCRIPT = `${TRIM}
local n = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = string.format('%.0f', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
if redis.call('HEXISTS', KEYS[5], 'seq') == 0 then
  redis.call('HSET', KEYS[5], 'seq', string.format('%.0f', tonumber(clock[1]) * 1000000 + tonumber(clock[2])))
end
local last = tonumber(redis.call('HINCRBY', KEYS[5], 'seq', n))
local first = last - n + 1
for i = 0, n - 1 do
  local pos = string.format('%.0f', first + i)
  local id = ARGV[4 + i * 3]
  local key = ARGV[5 + i * 3]
  local json = ARGV[6 + i * 3]
  redis.call('XADD', KEYS[1], pos .. '-0', 'i', id, 't', now, 'd', json)
  redis.call('HSET', KEYS[2], id, pos)
  redis.call('HSET', KEYS[3], key, pos .. '\\n' .. now .. '\\n' .. id .. '\\n' .. json)
  redis.call('ZADD', KEYS[4], pos, key)
end
redis.call('HSET', KEYS[5], 'head_id', ARGV[4 + (n - 1) * 3])
local extra = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[2])
if extra > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[4], extra)
  for j = 1, #gone, 2 do redis.call('HDEL', KEYS[3], gone[j]) end
end
local over = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[1])
if over > 0 then trim(math.min(over, n + 1000)) end
return { string.format('%.0f', first), now }
`;

/**
 * Prunes one chunk. ARGV: cutoff (ms; events older go, 0 for none), maxEvents,
 * chunk. Returns how many entries were removed; less than chunk means done.
 */
export const PRUNE_SCRIPT = `${TRIM}
local cutoff = tonumber(ARGV[1])
local chunk = tonumber(ARGV[3])
local count = math.min(math.max(redis.call('XLEN', KEYS[1]) - tonumber(ARGV[2]), 0), chunk)
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
-- Most runs find nothing old: one entry read says so.
if cutoff > 0 and count < chunk and oldest ~= nil and tonumber(field(oldest[2], 't')) < cutoff then
  local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', chunk)
  local old = 0
  for _, entry in ipairs(entries) do
    if tonumber(field(entry[2], 't')) < cutoff then old = old + 1 else break end
  end
  if old > count then count = old end
end
return trim(count)
`;
