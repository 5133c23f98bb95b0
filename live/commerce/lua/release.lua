-- A reservation that will not be paid (declined payment): its units go back and the buyer's limit frees.
-- KEYS: 1 state, 2 stock, 3 bought, 4 orders, 5 deadlines, 6 stream, 7 returned
-- ARGV: 1 order id, 2 final status, 3 failure code
-- Returns {status after the call, order JSON or '', 1 if the units went to the returned tally}
local k = {state = KEYS[1], stock = KEYS[2], bought = KEYS[3], orders = KEYS[4], deadlines = KEYS[5],
           stream = KEYS[6], returned = KEYS[7]}
local json = redis.call('HGET', k.orders, ARGV[1])
if not json then
  return {'unknown', '', 0}
end
local order = cjson.decode(json)
if order['status'] ~= 'reserved' then
  return {order['status'], json, 0}
end
local updated, to_returned = release(k, order, ARGV[2], ARGV[3])
return {ARGV[2], updated, to_returned}
