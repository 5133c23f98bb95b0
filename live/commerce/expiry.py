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


async def sweep_once(redis: Redis, rk: RedisKeys, hold_lag_ms: int | None = None,
                     ended_ttl_seconds: int = 7 * 24 * 3600) -> list[OrderRecord]:
    """Expire what is due, unless the workers are more than ``hold_lag_ms`` behind (lag.py): then the
    deadlines wait, so no order expires because its capture could not run (a database outage)."""
    expired: list[OrderRecord] = []
    show_ids = await active_shows(redis, rk)
    may_expire = hold_lag_ms is None
    if hold_lag_ms is not None and await _any_due(redis, rk, show_ids):  # the lag is read only when it matters
        behind = await lag_ms(redis, rk, show_ids)
        may_expire = behind <= hold_lag_ms
        if not may_expire:
            log.warning("reservations past their deadline held: the order workers are behind",
                        extra={"lag_ms": behind})
    for show_id in show_ids:
        sk = rk.show(show_id)
        while may_expire:
            batch = await expire_due(redis, sk, BATCH)
            expired.extend(batch)
            if len(batch) < BATCH:
                break
        await _retire_if_settled(redis, rk, show_id, ended_ttl_seconds)
    return expired


async def _any_due(redis: Redis, rk: RedisKeys, show_ids: list[str]) -> bool:
    now_ms = int(time.time() * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        for show_id in show_ids:
            pipe.zcount(rk.show(show_id).deadlines, "-inf", now_ms)
        return any(await pipe.execute())


async def _retire_if_settled(redis: Redis, rk: RedisKeys, show_id: str, ttl_seconds: int) -> None:
    """An ended show with no reservation left and an empty stream produces no more events: everything is in
    SQL, so its keys get a lifetime (Redis memory stays bounded by the shows of the last ``ttl_seconds``)."""
    sk = rk.show(show_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.exists(sk.state)
        pipe.zcard(sk.deadlines)
        pipe.xlen(sk.stream)
        live, waiting, unwritten = await pipe.execute()
    if not live and not waiting and not unwritten:
        offer_ids = [str(offer_id) for offer_id in await redis.hkeys(sk.stock)]
        async with redis.pipeline(transaction=False) as pipe:
            for key in sk.ended_keys(offer_ids):
                pipe.expire(key, ttl_seconds)
            pipe.srem(rk.active_shows, show_id)
            await pipe.execute()


async def run_sweeper(redis: Redis, rk: RedisKeys, interval: float, hold_lag_seconds: float,
                      ended_ttl_seconds: int, before_pass: Callable[[], Awaitable[None]]) -> None:
    """``before_pass`` is the recovery check: nothing expires in a Redis that may be behind SQL."""
    while True:
        try:
            await before_pass()
            await sweep_once(redis, rk, int(hold_lag_seconds * 1000), ended_ttl_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reservation sweep failed")
        await asyncio.sleep(interval)
