"""An offer's terms of sale as the tap path reads them in Redis, and the edits of its sale window that flash
deals make: SQL and Redis change together, so the countdown viewers see is the window taps are checked against
(``starts_ms``/``ends_ms`` in the offer's terms)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Show
from live.commerce import stock
from live.errors import Invalid
from live.rediskeys import RedisKeys

MAX_DEAL = timedelta(hours=24)


def sale_terms(offer: Offer) -> stock.SaleTerms:
    return stock.SaleTerms(
        offer.id, offer.stock, offer.price_cents, offer.currency, offer.per_buyer_limit,
        offer.sale_starts_at, offer.sale_ends_at,
    )


async def set_sale_window(
    session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show, offer: Offer,
    starts: datetime | None, ends: datetime | None,
) -> None:
    """The same order as ``live.shows.lineup.update_offer``: SQL flushed, Redis terms updated, then commit."""
    offer.sale_starts_at, offer.sale_ends_at = starts, ends
    await session.flush()
    await stock.update_terms(redis, redis_keys, show.id, sale_terms(offer))
    await session.commit()


async def open_deal(
    session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show, offer: Offer, ends_at: datetime
) -> None:
    """On sale from now (or from its earlier start) until ``ends_at``."""
    now = datetime.now(UTC)
    if ends_at <= now + timedelta(seconds=1):
        raise Invalid("deal_ends_at must be in the future", code="deal_in_past")
    if ends_at > now + MAX_DEAL:
        raise Invalid("a deal runs for 24 hours at most", code="deal_too_long")
    starts = offer.sale_starts_at if offer.sale_starts_at and offer.sale_starts_at <= now else now
    await set_sale_window(session, redis, redis_keys, show, offer, starts, ends_at)


async def close_deal(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show, offer: Offer) -> None:
    """Off sale from now on (a window that had not started yet is dropped)."""
    now = datetime.now(UTC)
    starts = offer.sale_starts_at if offer.sale_starts_at and offer.sale_starts_at < now else None
    if offer.sale_ends_at is not None and offer.sale_ends_at <= now:
        return  # already over
    await set_sale_window(session, redis, redis_keys, show, offer, starts, now)
