-- Rebuild a live show after Redis lost writes that SQL holds: SQL's orders are merged into the orders hash
-- (an order Redis lacks, or holds as reserved while SQL has its final status, takes SQL's copy), then the
-- counters are recounted from every order: stock left = allocated - reserved - paid, each buyer's held units,
-- every idempotency key (SQL's order wins a collision) and the deadlines. Idempotent; atomic, so no tap sees
-- a half-rebuilt show.
-- KEYS: 1 state, 2 stock, 3 bought, 4 idempotency, 5 orders, 6 deadlines, 7 loaded
-- ARGV: 1 JSON {allocated: {offer_id: units}, orders: [order JSON, ...]}, 2 '1' to mark the show live
-- Returns the ids of the orders taken from SQL that are still reserved (their capture is queued again).
local data = cjson.decode(ARGV[1])
local adopted = {}
local sql_keys = {}
for _, text in ipairs(data['orders']) do
  local sql = cjson.decode(text)
  local current = redis.call('HGET', KEYS[5], sql['id'])
  local take = not current
  if current then
    take = cjson.decode(current)['status'] == 'reserved' and sql['status'] ~= 'reserved'
  end
  if take then
    redis.call('HSET', KEYS[5], sql['id'], text)
    if sql['status'] == 'reserved' then
      adopted[#adopted + 1] = sql['id']
    end
  end
  sql_keys[sql['buyer_id'] .. ':' .. sql['idempotency_key']] = sql['id']
end

redis.call('DEL', KEYS[3], KEYS[4], KEYS[6])
local used = {}
local all = redis.call('HGETALL', KEYS[5])
for i = 2, #all, 2 do
  local order = cjson.decode(all[i])
  local status, qty = order['status'], tonumber(order['quantity'])
  redis.call('HSET', KEYS[4], order['buyer_id'] .. ':' .. order['idempotency_key'], order['id'])
  if status == 'reserved' or status == 'paid' then
    used[order['offer_id']] = (used[order['offer_id']] or 0) + qty
    redis.call('HINCRBY', KEYS[3], order['offer_id'] .. ':' .. order['buyer_id'], qty)
    if status == 'reserved' then
      redis.call('ZADD', KEYS[6], order['expires_ms'], order['id'])
    end
  end
end
for field, id in pairs(sql_keys) do
  redis.call('HSET', KEYS[4], field, id)
end
for offer, units in pairs(data['allocated']) do
  redis.call('HSET', KEYS[2], offer, math.max(tonumber(units) - (used[offer] or 0), 0))
end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[1], 'live')
end
redis.call('SET', KEYS[7], '1')
return adopted
