-- Payment confirmed: a reserved order becomes paid and leaves the deadline set. An order that is no
-- longer reserved (it expired first) is left alone and reported, so the payment can be refunded.
-- KEYS: 1 orders, 2 deadlines, 3 stream; ARGV: 1 order id
-- Returns {status after the call, order JSON or ''}
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then
  return {'unknown', ''}
end
local order = cjson.decode(json)
if order['status'] ~= 'reserved' then
  return {order['status'], json}
end
order['status'] = 'paid'
order['updated_ms'] = now_ms()
json = cjson.encode(order)
redis.call('HSET', KEYS[1], ARGV[1], json)
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'type', 'paid', 'order', json, 'returned', 0)
return {'paid', json}
