-- Shared by the order scripts (prepended to each by live/commerce/scripts.py).
-- A show's keys: KEYS are always passed in; these helpers only receive them as arguments.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Give a reserved order's units back and mark it with a final status. If the show is still live the
-- units return to the counter; once it has ended they go to the returned tally (back to the inventory).
-- Returns the updated order JSON and 1 if the units went to the returned tally, else 0.
local function release(k, order, status, code)
  local qty = tonumber(order['quantity'])
  local to_returned = 0
  if redis.call('GET', k.state) == 'live' then
    redis.call('HINCRBY', k.stock, order['offer_id'], qty)
  else
    redis.call('HINCRBY', k.returned, order['offer_id'], qty)
    to_returned = 1
  end
  local held_field = order['offer_id'] .. ':' .. order['buyer_id']
  if redis.call('HINCRBY', k.bought, held_field, -qty) <= 0 then
    redis.call('HDEL', k.bought, held_field)
  end
  order['status'] = status
  order['failure_code'] = code
  order['updated_ms'] = now_ms()
  local json = cjson.encode(order)
  redis.call('HSET', k.orders, order['id'], json)
  redis.call('ZREM', k.deadlines, order['id'])
  redis.call('XADD', k.stream, '*', 'type', status, 'order', json, 'returned', to_returned)
  return json, to_returned
end
