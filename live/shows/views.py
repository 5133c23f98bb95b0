"""Reading shows: public and merchant listings, summaries with names, offers as viewers see them (remaining
stock, rating) and a show's full detail."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Merchant, Offer, Product, Review, Show, User
from live.commerce import stock
from live.rediskeys import RedisKeys
from live.schemas.shows import HostOut, OfferOut, ShowOut, ShowSummary
from live.shows.lineup import list_offers


async def list_public_shows(session: AsyncSession, merchant_id: str | None, state: str | None) -> list[Show]:
    states = [state] if state else ["scheduled", "live"]
    query = select(Show).where(Show.state.in_(states)).order_by(Show.starts_at, Show.id)
    if merchant_id:
        query = query.where(Show.merchant_id == merchant_id)
    return list(await session.scalars(query.limit(200)))


async def list_merchant_shows(session: AsyncSession, merchant_id: str) -> list[Show]:
    query = select(Show).where(Show.merchant_id == merchant_id).order_by(Show.starts_at.desc(), Show.id)
    return list(await session.scalars(query.limit(500)))


async def summarize(session: AsyncSession, shows: list[Show], public_url: str) -> list[ShowSummary]:
    """Shows with their host and merchant names, in two queries whatever the number of shows."""
    host_ids = {s.host_id for s in shows}
    merchant_ids = {s.merchant_id for s in shows}
    hosts = dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(host_ids)))).all())
    names = dict(
        (await session.execute(select(Merchant.id, Merchant.name).where(Merchant.id.in_(merchant_ids)))).all()
    )
    return [
        ShowSummary(
            id=s.id, merchant_id=s.merchant_id, merchant_name=names.get(s.merchant_id, ""), title=s.title,
            description=s.description, starts_at=s.starts_at, state=s.state,
            started_at=s.started_at, ended_at=s.ended_at,
            host=HostOut(id=s.host_id, display_name=hosts.get(s.host_id, "")),
            watch_url=f"{public_url.rstrip('/')}/watch/{s.id}", record=s.record,
        )
        for s in shows
    ]


async def remaining_by_offer(redis: Redis, redis_keys: RedisKeys, show: Show, offers: list[Offer]) -> dict[str, int]:
    """Before the show, what is allocated; from the start, Redis's counters."""
    if show.state == "scheduled":
        return {o.id: o.stock for o in offers}
    counters = await stock.remaining(redis, redis_keys, show.id)
    return {o.id: counters.get(o.id, 0) for o in offers}


async def offer_views(
    session: AsyncSession, offers: list[Offer], remaining: dict[str, int]
) -> list[OfferOut]:
    product_ids = [o.product_id for o in offers]
    products = {p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    ratings = {
        pid: (float(avg), int(n))
        for pid, avg, n in (
            await session.execute(
                select(Review.product_id, func.avg(Review.rating), func.count())
                .where(Review.product_id.in_(product_ids))
                .group_by(Review.product_id)
            )
        ).all()
    }
    views = []
    for o in offers:
        p = products[o.product_id]
        avg, count = ratings.get(p.id, (None, 0))
        views.append(
            OfferOut(
                id=o.id, show_id=o.show_id, product_id=p.id, position=o.position, title=p.title,
                description=p.description, image_url=p.image_url, list_price_cents=p.price_cents,
                price_cents=o.price_cents, currency=o.currency, stock=o.stock,
                remaining=remaining.get(o.id, 0), per_buyer_limit=o.per_buyer_limit,
                sale_starts_at=o.sale_starts_at, sale_ends_at=o.sale_ends_at,
                rating=round(avg, 2) if avg is not None else None, reviews=count,
            )
        )
    return views


async def show_detail(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show, public_url: str
                      ) -> ShowOut:
    (summary,) = await summarize(session, [show], public_url)
    offers = await list_offers(session, show.id)
    remaining = await remaining_by_offer(redis, redis_keys, show, offers)
    return ShowOut(**summary.model_dump(), offers=await offer_views(session, offers, remaining))
