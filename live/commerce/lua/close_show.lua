-- Close a show's sale: every offer's remaining stock moves to the returned tally, the counters go to 0
-- and the show stops being live. Idempotent: a second run finds nothing left to move.
-- KEYS[1] state, KEYS[2] stock hash, KEYS[3] returned hash; ARGV: offer ids
-- Returns a flat list: offer_id, units moved now, ...
redis.call('DEL', KEYS[1])
local moved = {}
for i = 1, #ARGV do
  local offer = ARGV[i]
  local left = tonumber(redis.call('HGET', KEYS[2], offer) or '0')
  if left > 0 then
    redis.call('HSET', KEYS[2], offer, 0)
    redis.call('HINCRBY', KEYS[3], offer, left)
  end
  moved[#moved + 1] = offer
  moved[#moved + 1] = left
end
return moved
