"""Product cards and flash deals.

The current card of a show is kept in the room hash in Redis (which offer, pinned or not, when pushed), so a
join in any process shows it. A card's countdown is always the offer's real sale window: starting a deal
opens the window now and closes it at the deal's end, in SQL and in the offer's terms in Redis (the tap path
reads ``starts_ms``/``ends_ms`` there), and ending a deal closes it now."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Show
from live import shows
from live.commerce import stock
from live.errors import Conflict, Invalid
from live.rediskeys import RedisKeys, ShowKeys
from live.schemas.room import Card
from live.schemas.shows import OfferOut

MAX_DEAL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class CardState:
    offer_id: str
    pinned: bool
    pushed_at: datetime

    def to_json(self) -> str:
        return json.dumps({"offer_id": self.offer_id, "pinned": self.pinned, "pushed_at": self.pushed_at.isoformat()})

    @classmethod
    def from_json(cls, raw: str | None) -> CardState | None:
        if not raw:
            return None
        data = json.loads(raw)
        return cls(data["offer_id"], bool(data["pinned"]), datetime.fromisoformat(data["pushed_at"]))


def on_sale(show_state: str, offer: OfferOut, now: datetime) -> bool:
    starts, ends = offer.sale_starts_at, offer.sale_ends_at
    return show_state == "live" and (starts is None or starts <= now) and (ends is None or ends > now)


def render(offer: OfferOut, state: CardState, show_state: str, remaining: int, now: datetime) -> Card:
    return Card(
        **offer.model_dump(exclude={"remaining"}), remaining=remaining, pinned=state.pinned,
        on_sale=on_sale(show_state, offer, now), deal_ends_at=offer.sale_ends_at, pushed_at=state.pushed_at,
    )


async def save_state(redis: Redis, show_keys: ShowKeys, state: CardState | None) -> None:
    """Set (or clear) the current card and bump the room's revision in one round trip."""
    async with redis.pipeline(transaction=True) as pipe:
        if state is None:
            pipe.hdel(show_keys.room, "card")
        else:
            pipe.hset(show_keys.room, "card", state.to_json())
        pipe.hincrby(show_keys.room, "rev", 1)
        await pipe.execute()


async def bump_rev(redis: Redis, show_keys: ShowKeys) -> None:
    """Something a join snapshot caches changed: every process reloads it on the next join."""
    await redis.hincrby(show_keys.room, "rev", 1)


def require_live(show: Show) -> None:
    if show.state != "live":
        raise Conflict("the show is not live", code="show_not_live")


async def set_sale_window(
    session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show, offer: Offer,
    starts: datetime | None, ends: datetime | None,
) -> None:
    """The same order as ``shows.update_offer``: SQL flushed, Redis terms updated, then commit."""
    offer.sale_starts_at, offer.sale_ends_at = starts, ends
    await session.flush()
    await stock.update_terms(redis, rk, show.id, shows.sale_terms(offer))
    await session.commit()


async def open_deal(
    session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show, offer: Offer, ends_at: datetime
) -> None:
    """On sale from now (or from its earlier start) until ``ends_at``."""
    now = datetime.now(UTC)
    if ends_at <= now + timedelta(seconds=1):
        raise Invalid("deal_ends_at must be in the future", code="deal_in_past")
    if ends_at > now + MAX_DEAL:
        raise Invalid("a deal runs for 24 hours at most", code="deal_too_long")
    starts = offer.sale_starts_at if offer.sale_starts_at and offer.sale_starts_at <= now else now
    await set_sale_window(session, redis, rk, show, offer, starts, ends_at)


async def close_deal(session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show, offer: Offer) -> None:
    """Off sale from now on (a window that had not started yet is dropped)."""
    now = datetime.now(UTC)
    starts = offer.sale_starts_at if offer.sale_starts_at and offer.sale_starts_at < now else None
    if offer.sale_ends_at is not None and offer.sale_ends_at <= now:
        return  # already over
    await set_sale_window(session, redis, rk, show, offer, starts, now)
