"""The badges next to a name: ``host`` (the show's host, or one of the merchant's hosts outside a show),
``merchant`` (the shop's own account), ``expert`` (live.community.experts) and ``buyer`` (a paid order in
this show, or outside a show from this merchant)."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, Show, User
from db.session import Sessionmaker
from live.commerce.orders import PAID
from live.community import experts
from live.schemas.community import Author

_CACHE_ENTRIES = 50_000  # past this many (place, user) pairs the cache starts over, bounding its memory


@dataclass(frozen=True, slots=True)
class Place:
    """Where the names appear: a merchant's page, or one of its shows."""

    merchant_id: str
    show_id: str | None = None
    host_id: str | None = None


async def buyers_among(session: AsyncSession, place: Place, user_ids: Collection[str]) -> set[str]:
    query = select(Order.buyer_id).where(Order.buyer_id.in_(user_ids), Order.status == PAID).distinct()
    if place.show_id:
        query = query.where(Order.show_id == place.show_id)
    else:
        query = query.join(Show, Show.id == Order.show_id).where(Show.merchant_id == place.merchant_id)
    return set(await session.scalars(query))


async def badges_for(session: AsyncSession, place: Place, user_ids: Collection[str]) -> dict[str, list[str]]:
    """Each user's badges here, in a few queries whatever the number of users."""
    ids = set(user_ids)
    if not ids:
        return {}
    staff = dict((await session.execute(
        select(User.id, User.role).where(User.id.in_(ids), User.merchant_id == place.merchant_id))).all())
    found_experts = await experts.experts_among(session, place.merchant_id, ids)
    found_buyers = await buyers_among(session, place, ids)
    out: dict[str, list[str]] = {}
    for user_id in ids:
        role = staff.get(user_id)
        is_host = user_id == place.host_id if place.show_id else role == "host"
        out[user_id] = [name for name, has in (
            ("host", is_host), ("merchant", role == "merchant"),
            ("expert", user_id in found_experts), ("buyer", user_id in found_buyers)) if has]
    return out


class BadgeBook:
    """Badges for chat messages, remembered for ``ttl`` seconds per show and user (a chatty viewer's badges
    are read from SQL once, not per message)."""

    def __init__(self, sessionmaker: Sessionmaker, ttl: float = 5.0):
        self.sessionmaker = sessionmaker
        self.ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, list[str]]] = {}

    async def of(self, place: Place, user_id: str) -> list[str]:
        key = (place.show_id or place.merchant_id, user_id)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        async with self.sessionmaker() as session:
            badges = (await badges_for(session, place, [user_id]))[user_id]
        if len(self._cache) > _CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), badges)
        return badges


async def authors(session: AsyncSession, place: Place, user_ids: Collection[str]) -> dict[str, Author]:
    """Display names and badges of these users, for reviews, questions and answers."""
    ids = set(user_ids)
    names = dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))).all())
    badges = await badges_for(session, place, ids)
    return {u: Author(display_name=names.get(u, ""), badges=badges.get(u, [])) for u in ids}
