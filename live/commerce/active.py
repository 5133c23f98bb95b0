"""The shows the order workers watch (``RedisKeys.active_shows``): a show joins the set when its sale opens
(stock.open_show) and leaves it once everything it sold is settled in SQL (expiry)."""

from __future__ import annotations

from redis.asyncio import Redis

from live.rediskeys import RedisKeys


async def active_shows(redis: Redis, redis_keys: RedisKeys) -> list[str]:
    return sorted(str(member) for member in await redis.smembers(redis_keys.active_shows))
