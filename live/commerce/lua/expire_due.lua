-- Expire every reservation of the show whose deadline has passed (at most ARGV[1] per call).
-- KEYS: 1 state, 2 stock, 3 bought, 4 orders, 5 deadlines, 6 stream, 7 returned
-- Returns a flat list: order JSON, returned flag, ...
local k = {state = KEYS[1], stock = KEYS[2], bought = KEYS[3], orders = KEYS[4], deadlines = KEYS[5],
           stream = KEYS[6], returned = KEYS[7]}
local due = redis.call('ZRANGEBYSCORE', k.deadlines, '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(due) do
  local json = redis.call('HGET', k.orders, id)
  if json then
    local order = cjson.decode(json)
    if order['status'] == 'reserved' then
      local updated, to_returned = release(k, order, 'expired', 'reservation_expired')
      out[#out + 1] = updated
      out[#out + 1] = to_returned
    else
      redis.call('ZREM', k.deadlines, id)
    end
  else
    redis.call('ZREM', k.deadlines, id)
  end
end
return out
