"""The last good copy of each show, kept in Redis, so a live show stays watchable and buyable while the
database is away: ``GET /api/shows/{id}`` and a socket.io join are served from it, with stock from Redis.

The copy is written whenever the show is read whole from SQL (the API's show detail, a room's lineup); it
holds what SQL alone knows (titles, host, lineup, sale windows), never the stock, which Redis keeps itself.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from db.models import Show
from db.outage import is_outage
from db.session import Sessionmaker
from live.commerce import stock
from live.errors import database_unavailable
from live.rediskeys import RedisKeys, ShowKeys
from live.schemas.shows import ShowOut
from live.shows import lifecycle, views

log = logging.getLogger("live.showcopy")
COPY_TTL_SECONDS = 7 * 24 * 3600  # renewed on every read; the copy only matters while the show runs


class ShowCopy(ShowOut):
    """The show detail as SQL last had it, plus what the room needs besides (``remaining`` is not kept)."""

    slow_mode_seconds: int

    def as_show(self) -> Show:
        """A detached Show with the copy's fields (what the room reads of a show)."""
        return Show(id=self.id, merchant_id=self.merchant_id, host_id=self.host.id, title=self.title,
                    description=self.description, starts_at=self.starts_at, state=self.state,
                    started_at=self.started_at, ended_at=self.ended_at, record=self.record,
                    slow_mode_seconds=self.slow_mode_seconds)


async def save(redis: Redis, show_keys: ShowKeys, copy: ShowCopy) -> None:
    await redis.set(show_keys.copy, copy.model_dump_json(), ex=COPY_TTL_SECONDS)


async def load(redis: Redis, show_keys: ShowKeys) -> ShowCopy | None:
    text = await redis.get(show_keys.copy)
    return ShowCopy.model_validate_json(text) if text else None


async def load_or_unavailable(redis: Redis, show_keys: ShowKeys, cause: BaseException) -> ShowCopy:
    """The copy, for a caller whose SQL read failed with ``cause``: re-raised unless it is an outage; an
    outage with no copy to serve is a 503 database_unavailable."""
    if not is_outage(cause):
        raise cause
    copy = await load(redis, show_keys)
    if copy is None:
        raise database_unavailable() from cause
    log.warning("database unavailable: serving the show's last good copy", extra={"show_id": copy.id})
    return copy


async def fresh_detail(sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, show: Show, public_url: str
                       ) -> ShowOut:
    """The show as SQL has it now (remaining stock from Redis), saved as its last good copy."""
    async with sessionmaker() as session:
        detail = await views.show_detail(session, redis, redis_keys, show, public_url)
    await save(redis, redis_keys.show(show.id), ShowCopy(**dict(detail), slow_mode_seconds=show.slow_mode_seconds))
    return detail


async def show_detail(sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, show_id: str, public_url: str
                      ) -> ShowOut:
    """A show with its offers: from SQL, or from its last good copy while the database is away."""
    try:
        async with sessionmaker() as session:
            show = await lifecycle.get_show(session, show_id)
        return await fresh_detail(sessionmaker, redis, redis_keys, show, public_url)
    except Exception as exc:  # an outage (anything else is re-raised as it was)
        copy = await load_or_unavailable(redis, redis_keys.show(show_id), exc)
    if copy.state == "scheduled":
        remaining = {o.id: o.stock for o in copy.offers}
    else:
        remaining = await stock.remaining(redis, redis_keys, show_id)
    return ShowOut(
        **{name: getattr(copy, name) for name in ShowOut.model_fields if name not in ("offers", "watch_url")},
        watch_url=f"{public_url.rstrip('/')}/watch/{copy.id}",
        offers=[o.model_copy(update={"remaining": remaining.get(o.id, 0)}) for o in copy.offers],
    )
