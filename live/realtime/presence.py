"""Viewer count across processes, and the figures kept for analytics.

Each process writes how many sockets it has in a show's room into the show's presence hash, with an expiry
(a process that dies stops refreshing its entry and drops out of the count within ``PRESENCE_TTL_MS``). The
count is the sum of the entries that have not expired: joins minus leaves in every process.

Analytics: peak concurrent and unique viewers go to ``show_stats``, the most concurrent viewers of each minute
to ``show_minutes``. Every process that sees the count writes them as maxima, so any number of writers
agree and a crash loses at most ``WRITE_EVERY`` seconds."""

from __future__ import annotations

import time
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


def queue_report(pipe: Redis, sk: ShowKeys, process_id: str, here: int, now_ms: int) -> None:
    """Write this process's count (or remove it at zero), then read every process's entry."""
    if here > 0:
        pipe.hset(sk.presence, process_id, f"{here}:{now_ms + PRESENCE_TTL_MS}")
    else:
        pipe.hdel(sk.presence, process_id)
    pipe.hgetall(sk.presence)


def count(entries: dict[str, str], now_ms: int) -> tuple[int, list[str]]:
    """(viewers in live entries, processes whose entry expired)."""
    total, stale = 0, []
    for process_id, value in entries.items():
        here, _, expires = value.partition(":")
        if expires.isdigit() and int(expires) > now_ms and here.isdigit():
            total += int(here)
        else:
            stale.append(process_id)
    return total, stale


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
    def __init__(self, sessionmaker: Sessionmaker, redis: Redis, rk: RedisKeys):
        self.sessionmaker = sessionmaker
        self.redis = redis
        self.rk = rk
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
        uniques = int(await self.redis.pfcount(self.rk.show(show_id).uniques))
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
