"""The reservation sweeper: unpaid reservations past their deadline return their units (one Lua call per
show per pass), and shows with nothing left to settle leave the set the workers watch. While the workers
are behind (the database is away), deadlines wait."""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis

from live.commerce.lag import lag_ms
from live.commerce.orders import OrderRecord, expire_due
from live.rediskeys import RedisKeys

log = logging.getLogger("live.commerce.expiry")
BATCH = 500


async def sweep_once(redis: Redis, rk: RedisKeys, hold_lag_ms: int | None = None) -> list[OrderRecord]:
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
        await _retire_if_settled(redis, rk, show_id)
    return expired


async def _any_due(redis: Redis, rk: RedisKeys, show_ids: list[str]) -> bool:
    now_ms = int(time.time() * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        for show_id in show_ids:
            pipe.zcount(rk.show(show_id).deadlines, "-inf", now_ms)
        return any(await pipe.execute())


async def active_shows(redis: Redis, rk: RedisKeys) -> list[str]:
    return sorted(str(member) for member in await redis.smembers(rk.active_shows))


async def _retire_if_settled(redis: Redis, rk: RedisKeys, show_id: str) -> None:
    """An ended show with no reservation left and an empty stream produces no more events."""
    sk = rk.show(show_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.exists(sk.state)
        pipe.zcard(sk.deadlines)
        pipe.xlen(sk.stream)
        live, waiting, unwritten = await pipe.execute()
    if not live and not waiting and not unwritten:
        await redis.srem(rk.active_shows, show_id)


async def run_sweeper(redis: Redis, rk: RedisKeys, interval: float, hold_lag_seconds: float) -> None:
    while True:
        try:
            await sweep_once(redis, rk, int(hold_lag_seconds * 1000))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reservation sweep failed")
        await asyncio.sleep(interval)
