"""Viewer count across processes, and the figures kept for analytics.

The audience of a show is a sorted set in Redis: one member per viewer (account, device, or address for a
socket that names neither), scored by when it expires. Every process refreshes the viewers it has once a
second; a viewer's last socket leaving removes them. A viewer with several sockets, in one process or many,
is one member, so refreshing a page or reconnecting to another process after a crash counts once; a crashed
process's viewers expire within ``PRESENCE_TTL_MS`` unless they are back elsewhere, so they never count twice.

Analytics: peak concurrent and unique viewers go to ``show_stats``, the most concurrent viewers of each minute
to ``show_minutes``. Every process that sees the count writes them as maxima, so any number of writers
agree and a crash loses at most ``WRITE_EVERY`` seconds."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import case
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ShowMinute, ShowStats
from db.session import Sessionmaker, upsert_insert
from live.rediskeys import RedisKeys, ShowKeys

PRESENCE_TTL_MS = 5000
WRITE_EVERY = 5.0


def queue_arrival(pipe: Redis, show_keys: ShowKeys, visitor_id: str, now_ms: int) -> None:
    """A viewer joined here: in the audience at once (the next refresh keeps them), then the count."""
    pipe.zadd(show_keys.audience, {visitor_id: now_ms + PRESENCE_TTL_MS}, gt=True)  # GT adds new members too
    pipe.zcount(show_keys.audience, now_ms, "+inf")


def queue_report(pipe: Redis, show_keys: ShowKeys, visitors: Collection[str], now_ms: int) -> None:
    """Refresh this process's viewers, drop the expired ones (a process that stopped refreshing), count."""
    if visitors:
        expires = now_ms + PRESENCE_TTL_MS
        pipe.zadd(show_keys.audience, dict.fromkeys(visitors, expires), gt=True)
    pipe.zremrangebyscore(show_keys.audience, "-inf", now_ms)
    pipe.zcard(show_keys.audience)


async def upsert_max(session: AsyncSession, model: Any, keys: dict[str, Any], maxima: dict[str, int],
                     **values: Any) -> None:
    """INSERT, or raise each of ``maxima``'s columns to the new value if higher (SQLite and PostgreSQL)."""
    stmt = upsert_insert(session.get_bind().dialect.name)(model).values(**keys, **maxima, **values)
    table = model.__table__
    updates: dict[str, Any] = {
        name: case((stmt.excluded[name] > table.c[name], stmt.excluded[name]), else_=table.c[name])
        for name in maxima
    }
    await session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_={**updates, **values}))


@dataclass
class _Seen:
    peak: int = 0
    minute: datetime | None = None
    minute_peak: int = 0
    dirty: bool = False
    written_at: float = 0.0


class ViewerStats:
    def __init__(self, sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys):
        self.sessionmaker = sessionmaker
        self.redis = redis
        self.redis_keys = redis_keys
        self._seen: dict[str, _Seen] = {}

    async def observe(self, show_id: str, viewers: int, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        seen = self._seen.setdefault(show_id, _Seen())
        minute = now.replace(second=0, microsecond=0)
        if seen.minute is not None and minute != seen.minute:
            await self.write(show_id)  # close the finished minute
            seen.minute_peak = 0
        seen.minute = minute
        if viewers > seen.minute_peak or viewers > seen.peak:
            seen.dirty = True
        seen.minute_peak = max(seen.minute_peak, viewers)
        seen.peak = max(seen.peak, viewers)
        if seen.dirty and time.monotonic() - seen.written_at >= WRITE_EVERY:
            await self.write(show_id)

    async def write(self, show_id: str) -> None:
        seen = self._seen.get(show_id)
        if seen is None or seen.minute is None:
            return
        uniques = int(await self.redis.pfcount(self.redis_keys.show(show_id).uniques))
        async with self.sessionmaker() as session:
            now = datetime.now(UTC)
            await upsert_max(session, ShowStats, {"show_id": show_id},
                             {"peak_viewers": seen.peak, "unique_viewers": uniques}, updated_at=now)
            await upsert_max(session, ShowMinute, {"show_id": show_id, "minute": seen.minute},
                             {"viewers": seen.minute_peak})
            await session.commit()
        seen.dirty, seen.written_at = False, time.monotonic()

    async def finish(self, show_id: str) -> None:
        """No one watches here any more: write what is left and forget the show."""
        if self._seen.get(show_id, _Seen()).dirty:
            await self.write(show_id)
        self._seen.pop(show_id, None)
