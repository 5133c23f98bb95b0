"""How long the oldest order event has waited to be persisted and captured.

Every order event travels show stream -> SQL -> payments stream -> capture, and is deleted from each stream
once handled; the payments entry carries ``since_ms``, when its event entered the show stream. So the oldest
entry still in any of these streams says how far behind the workers are: a few milliseconds normally, the
whole outage while the database is away. The sweeper holds expiries while it is too long, so an outage
never makes an order expire before its payment was even tried.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from live.rediskeys import RedisKeys


def _entry_ms(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])


async def oldest_waiting_ms(redis: Redis, redis_keys: RedisKeys, show_ids: list[str]) -> int | None:
    """When the oldest event still waiting entered its show's stream (ms since epoch), or None."""
    async with redis.pipeline(transaction=False) as pipe:
        for show_id in show_ids:
            pipe.xrange(redis_keys.show(show_id).stream, count=1)
        pipe.xrange(redis_keys.payments_stream, count=1)
        *shows, payments = await pipe.execute()
    found = [_entry_ms(str(entries[0][0])) for entries in shows if entries]
    if payments:
        entry_id, fields = payments[0]
        found.append(int(fields.get("since_ms") or _entry_ms(str(entry_id))))
    return min(found) if found else None


async def lag_ms(redis: Redis, redis_keys: RedisKeys, show_ids: list[str]) -> int:
    oldest = await oldest_waiting_ms(redis, redis_keys, show_ids)
    return 0 if oldest is None else max(int(time.time() * 1000) - oldest, 0)
