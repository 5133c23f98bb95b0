-- One tap: atomically check idempotency, show state, sale window, stock and the buyer's limit, then
-- reserve. One round trip; all keys share the show's hash tag.
-- KEYS: 1 state, 2 offer terms, 3 stock, 4 bought, 5 idempotency, 6 orders, 7 deadlines, 8 stream, 9 banned,
--       10 the buyer's tap counter
-- ARGV: 1 show_id, 2 offer_id, 3 buyer_id, 4 idempotency key, 5 quantity, 6 ttl_ms, 7 new order id,
--       8 taps allowed per window (0: no limit), 9 the window in ms,
--       10 attribution JSON ({ref, utm_source, utm_medium, utm_campaign}) or ''
-- Returns {outcome, order JSON or '', remaining, detail}; outcome 'id_taken' asks for another order id.
local show_id, offer_id, buyer, key = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local qty, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])

local idem_field = buyer .. ':' .. key
local known = redis.call('HGET', KEYS[5], idem_field)
if known then
  local json = redis.call('HGET', KEYS[6], known)
  local order = cjson.decode(json)
  local left = redis.call('HGET', KEYS[3], order['offer_id']) or '0'
  if order['offer_id'] ~= offer_id or tonumber(order['quantity']) ~= qty then
    return {'key_reused', json, left, ''}
  end
  return {'repeat', json, left, ''}
end

-- The buyer's pace (a retry of a known key, above, is never counted); detail: ms until the window ends.
local pace_max, pace_ms = tonumber(ARGV[8]), tonumber(ARGV[9])
if pace_max and pace_max > 0 then
  local taps = redis.call('INCR', KEYS[10])
  if taps == 1 then
    redis.call('PEXPIRE', KEYS[10], pace_ms)
  end
  if taps > pace_max then
    return {'rate_limited', '', '0', tostring(redis.call('PTTL', KEYS[10]))}
  end
end

if redis.call('SISMEMBER', KEYS[9], buyer) == 1 then
  return {'banned', '', '0', ''}
end
if redis.call('GET', KEYS[1]) ~= 'live' then
  return {'not_on_sale', '', '0', 'show_not_live'}
end
local terms = redis.call('HMGET', KEYS[2], 'price_cents', 'currency', 'limit', 'starts_ms', 'ends_ms')
if not terms[1] then
  return {'not_on_sale', '', '0', 'unknown_offer'}
end
local now = now_ms()
local starts, ends = tonumber(terms[4]), tonumber(terms[5])
local left = tonumber(redis.call('HGET', KEYS[3], offer_id) or '0')
if (starts > 0 and now < starts) or (ends > 0 and now >= ends) then
  return {'not_on_sale', '', tostring(left), 'outside_sale_window'}
end
if left < qty then
  return {'sold_out', '', tostring(left), ''}
end
local held_field = offer_id .. ':' .. buyer
local held = tonumber(redis.call('HGET', KEYS[4], held_field) or '0')
local limit = tonumber(terms[3])
if held + qty > limit then
  return {'limit_reached', '', tostring(left), tostring(limit - held)}
end

local id = ARGV[7]
if redis.call('HEXISTS', KEYS[6], id) == 1 then
  return {'id_taken', '', tostring(left), ''}
end
left = redis.call('HINCRBY', KEYS[3], offer_id, -qty)
redis.call('HINCRBY', KEYS[4], held_field, qty)
redis.call('HSET', KEYS[5], idem_field, id)
local order = {
  id = id, show_id = show_id, offer_id = offer_id, buyer_id = buyer, idempotency_key = key,
  quantity = qty, price_cents = tonumber(terms[1]), currency = terms[2], status = 'reserved',
  created_ms = now, expires_ms = now + ttl, updated_ms = now, failure_code = cjson.null,
}
if ARGV[10] and ARGV[10] ~= '' then
  for field, value in pairs(cjson.decode(ARGV[10])) do order[field] = value end
end
local json = cjson.encode(order)
redis.call('HSET', KEYS[6], id, json)
redis.call('ZADD', KEYS[7], now + ttl, id)
redis.call('XADD', KEYS[8], '*', 'type', 'created', 'order', json, 'returned', 0)
return {'created', json, tostring(left), ''}
