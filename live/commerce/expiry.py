"""The reservation sweeper: unpaid reservations past their deadline return their units (one Lua call per
show per pass), and shows with nothing left to settle leave the set the workers watch. While the workers
are behind (the database is away), deadlines wait."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from live.commerce.active import active_shows
from live.commerce.lag import lag_ms
from live.commerce.orders import OrderRecord, expire_due
from live.rediskeys import RedisKeys

log = logging.getLogger("live.commerce.expiry")
BATCH = 500


async def sweep_once(redis: Redis, redis_keys: RedisKeys, hold_lag_ms: int | None = None,
                     ended_ttl_seconds: int = 7 * 24 * 3600) -> list[OrderRecord]:
    """Expire what is due, unless the workers are more than ``hold_lag_ms`` behind (lag.py): then the
    deadlines wait, so no order expires because its capture could not run (a database outage)."""
    expired: list[OrderRecord] = []
    show_ids = await active_shows(redis, redis_keys)
    may_expire = hold_lag_ms is None
    if hold_lag_ms is not None and await _any_due(redis, redis_keys, show_ids):  # the lag is read only when it matters
        behind = await lag_ms(redis, redis_keys, show_ids)
        may_expire = behind <= hold_lag_ms
        if not may_expire:
            log.warning("reservations past their deadline held: the order workers are behind",
                        extra={"lag_ms": behind})
    for show_id in show_ids:
        show_keys = redis_keys.show(show_id)
        while may_expire:
            batch = await expire_due(redis, show_keys, BATCH)
            expired.extend(batch)
            if len(batch) < BATCH:
                break
        await _retire_if_settled(redis, redis_keys, show_id, ended_ttl_seconds)
    return expired


async def _any_due(redis: Redis, redis_keys: RedisKeys, show_ids: list[str]) -> bool:
    now_ms = int(time.time() * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        for show_id in show_ids:
            pipe.zcount(redis_keys.show(show_id).deadlines, "-inf", now_ms)
        return any(await pipe.execute())


async def _retire_if_settled(redis: Redis, redis_keys: RedisKeys, show_id: str, ttl_seconds: int) -> None:
    """An ended show with no reservation left and an empty stream produces no more events: everything is in
    SQL, so its keys get a lifetime (Redis memory stays bounded by the shows of the last ``ttl_seconds``)."""
    show_keys = redis_keys.show(show_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.exists(show_keys.state)
        pipe.zcard(show_keys.deadlines)
        pipe.xlen(show_keys.stream)
        live, waiting, unwritten = await pipe.execute()
    if not live and not waiting and not unwritten:
        offer_ids = [str(offer_id) for offer_id in await redis.hkeys(show_keys.stock)]
        async with redis.pipeline(transaction=False) as pipe:
            for key in show_keys.ended_keys(offer_ids):
                pipe.expire(key, ttl_seconds)
            pipe.srem(redis_keys.active_shows, show_id)
            await pipe.execute()


async def run_sweeper(redis: Redis, redis_keys: RedisKeys, interval: float, hold_lag_seconds: float,
                      ended_ttl_seconds: int, before_pass: Callable[[], Awaitable[None]]) -> None:
    """``before_pass`` is the recovery check: nothing expires in a Redis that may be behind SQL."""
    while True:
        try:
            await before_pass()
            await sweep_once(redis, redis_keys, int(hold_lag_seconds * 1000), ended_ttl_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reservation sweep failed")
        await asyncio.sleep(interval)
