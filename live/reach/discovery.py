"""The front door: shows live now, upcoming and recently ended, each with a picture (its first product's),
for the discovery home page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Product, Show
from live.reach.feeds import PLACEHOLDER
from live.schemas.reach import DiscoverShow
from live.shows import views

LIMITS = {"live": 24, "scheduled": 24, "ended": 12}


async def _pictures(session: AsyncSession, show_ids: list[str]) -> dict[str, str | None]:
    rows = await session.execute(select(Offer.show_id, Product.image_url).join(Product, Product.id == Offer.product_id)
                                 .where(Offer.show_id.in_(show_ids)).order_by(Offer.show_id, Offer.position))
    first: dict[str, str | None] = {}
    for show_id, image in rows.all():
        if first.get(show_id) is None:
            first[show_id] = image
    return first


async def discover(session: AsyncSession, public_url: str) -> dict[str, list[DiscoverShow]]:
    """{'live': latest started first, 'upcoming': soonest first, 'recent': latest ended first}."""
    found: dict[str, list[Show]] = {}
    orders = {"live": Show.started_at.desc(), "scheduled": Show.starts_at, "ended": Show.ended_at.desc()}
    for state, order in orders.items():
        found[state] = list(await session.scalars(select(Show).where(Show.state == state)
                                                  .order_by(order, Show.id).limit(LIMITS[state])))
    every = [s for group in found.values() for s in group]
    summaries = {s.id: s for s in await views.summarize(session, every, public_url)}
    pictures = await _pictures(session, [s.id for s in every])

    def tiles(group: list[Show]) -> list[DiscoverShow]:
        return [DiscoverShow(**summaries[s.id].model_dump(), image_url=pictures.get(s.id) or PLACEHOLDER)
                for s in group]

    return {"live": tiles(found["live"]), "upcoming": tiles(found["scheduled"]), "recent": tiles(found["ended"])}
