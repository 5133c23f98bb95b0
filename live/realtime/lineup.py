"""What every join of a show shares: the show and its offers as read from SQL, cached per process.

A popular show gets thousands of joins at once (a reconnect storm after a deploy), so the SQL part of the
snapshot is read once per show and reused. The cache is keyed by the room's ``rev`` in Redis, which every
change made through the room (a card, a deal, slow mode, the show's state) bumps, so such a change is seen by
the next join in every process; anything else (an offer edited through the catalogue API) is seen within
``ttl`` seconds. While the database is away, the show's last good copy in Redis stands in (showcopy.py)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

from redis.asyncio import Redis

from db.models import Show
from db.session import Sessionmaker
from live import showcopy
from live.errors import NotFound
from live.rediskeys import RedisKeys
from live.schemas.shows import HostOut, OfferOut
from live.shows import lifecycle
from live.shows.lineup import list_offers
from live.shows.views import offer_views, summarize


@dataclass(frozen=True, slots=True)
class Lineup:
    show: Show
    host: HostOut
    offers: list[OfferOut]  # ``remaining`` is not filled in: live stock comes from Redis
    rev: str | None
    loaded_at: float

    def offer(self, offer_id: str) -> OfferOut | None:
        return next((o for o in self.offers if o.id == offer_id), None)


async def load_lineup(sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, show_id: str, rev: str | None
                      ) -> Lineup:
    """From SQL (saved as the show's last good copy), or from that copy while the database is away."""
    show_keys = redis_keys.show(show_id)
    try:
        async with sessionmaker() as session:
            show = await lifecycle.get_show(session, show_id)
            (summary,) = await summarize(session, [show], "")
            offers = await list_offers(session, show_id)
            views = await offer_views(session, offers, {})
            session.expunge(show)
    except Exception as exc:  # an outage (anything else is re-raised as it was)
        copy = await showcopy.load_or_unavailable(redis, show_keys, exc)
        return Lineup(copy.as_show(), copy.host, copy.offers, rev, time.monotonic())
    await showcopy.save(redis, show_keys, showcopy.ShowCopy(**dict(summary), offers=views,
                                                     slow_mode_seconds=show.slow_mode_seconds))
    return Lineup(show, summary.host, views, rev, time.monotonic())


class LineupCache:
    def __init__(self, sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, ttl: float = 2.0):
        self.sessionmaker = sessionmaker
        self.redis = redis
        self.redis_keys = redis_keys
        self.ttl = ttl
        self._entries: dict[str, Lineup] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _fresh(self, show_id: str, rev: str | None) -> Lineup | None:
        entry = self._entries.get(show_id)
        if entry is not None and entry.rev == rev and time.monotonic() - entry.loaded_at < self.ttl:
            return entry
        return None

    async def get(self, show_id: str, rev: str | None) -> Lineup:
        """The show's lineup at this ``rev``; concurrent callers share one load (raises NotFound)."""
        entry = self._fresh(show_id, rev)
        if entry is not None:
            return entry
        async with self._locks[show_id]:
            entry = self._fresh(show_id, rev)
            if entry is None:
                try:
                    entry = await load_lineup(self.sessionmaker, self.redis, self.redis_keys, show_id, rev)
                except NotFound:
                    self.forget(show_id)  # unknown ids must not grow the cache
                    raise
                self._entries[show_id] = entry
            return entry

    async def current(self, show_id: str) -> Lineup:
        """The lineup at the show's revision now (raises NotFound)."""
        rev: str | None = await self.redis.hget(self.redis_keys.show(show_id).room, "rev")  # type: ignore[assignment]
        return await self.get(show_id, rev)

    def forget(self, show_id: str) -> None:
        self._entries.pop(show_id, None)
        self._locks.pop(show_id, None)
