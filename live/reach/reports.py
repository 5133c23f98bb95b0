"""Figures by source: a show's audience and sales per affiliate, per utm_source and direct (for the results),
and one affiliate's links and figures across the merchant's shows (for /affiliate). Orders come from SQL;
viewers from the per-source HyperLogLogs the socket join fills."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Affiliate, AffiliateClick, Merchant, Order, Product, Show
from live.commerce.orders import PAID
from live.reach.attribution import DIRECT
from live.rediskeys import RedisKeys
from live.results import conversion
from live.schemas.reach import (
    AffiliateDashboard,
    AffiliateLink,
    AffiliateOut,
    AffiliateStats,
    AttributedOrder,
    LedgerTotals,
    SourceResult,
)

RECENT_ORDERS = 50


async def _paid_by(session: AsyncSession, show_id: str, column: Any, *where: ColumnElement[bool]
                   ) -> dict[Any, tuple[int, int, int]]:
    """(buyers, orders, revenue) of the show's paid orders grouped by ``column``."""
    rows = await session.execute(
        select(column, func.count(distinct(Order.buyer_id)), func.count(), func.sum(Order.quantity * Order.price_cents))
        .where(Order.show_id == show_id, Order.status == PAID, *where).group_by(column))
    return {key: (int(b), int(n), int(r or 0)) for key, b, n, r in rows.all()}


async def _viewers(redis: Redis, redis_keys: RedisKeys, show_id: str) -> dict[str, int]:
    show_keys = redis_keys.show(show_id)
    labels = sorted(str(label) for label in await redis.smembers(show_keys.sources))
    async with redis.pipeline(transaction=False) as pipe:
        for label in labels:
            pipe.pfcount(show_keys.source_uniques(label))
        counts = await pipe.execute()
    return {label: int(n) for label, n in zip(labels, counts, strict=True)}


def _row(kind: Any, source: str, viewers: int, paid: tuple[int, int, int], name: str | None = None) -> SourceResult:
    buyers, orders, revenue = paid
    return SourceResult(kind=kind, source=source, display_name=name, viewers=viewers, buyers=buyers, orders=orders,
                        revenue_cents=revenue, conversion=conversion(buyers, viewers))


async def by_source(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show) -> list[SourceResult]:
    """Every affiliate of the merchant and every utm_source that brought viewers or paid orders, then direct.
    An order or viewer with both an affiliate and a utm_source counts in both rows."""
    viewers = await _viewers(redis, redis_keys, show.id)
    by_affiliate = await _paid_by(session, show.id, Order.affiliate_id, Order.affiliate_id.is_not(None))
    by_utm = await _paid_by(session, show.id, Order.utm_source, Order.utm_source.is_not(None))
    direct = await _paid_by(session, show.id, Order.show_id, Order.affiliate_id.is_(None), Order.utm_source.is_(None))
    none = (0, 0, 0)
    rows = []
    for affiliate in await session.scalars(select(Affiliate).where(Affiliate.merchant_id == show.merchant_id)
                                           .order_by(Affiliate.code)):
        seen = viewers.get(f"ref:{affiliate.code}", 0)
        if seen or affiliate.id in by_affiliate:
            rows.append(_row("affiliate", affiliate.code, seen, by_affiliate.get(affiliate.id, none),
                             affiliate.display_name))
    utm_sources = sorted(set(by_utm) | {label[4:] for label in viewers if label.startswith("utm:")})
    rows += [_row("utm_source", s, viewers.get(f"utm:{s}", 0), by_utm.get(s, none)) for s in utm_sources]
    rows.append(_row("direct", DIRECT, viewers.get(DIRECT, 0), direct.get(show.id, none)))
    return rows


async def _links(session: AsyncSession, affiliate: AffiliateOut) -> list[AffiliateLink]:
    shows = await session.scalars(select(Show).where(Show.merchant_id == affiliate.merchant_id)
                                  .order_by(Show.starts_at.desc()).limit(100))
    products = await session.scalars(select(Product).where(Product.merchant_id == affiliate.merchant_id,
                                                           Product.archived_at.is_(None)).order_by(Product.title))
    return ([AffiliateLink(kind="show", id=s.id, title=s.title, state=s.state, url=f"{affiliate.link}?show={s.id}")
             for s in shows]
            + [AffiliateLink(kind="product", id=p.id, title=p.title, url=f"{affiliate.link}?product={p.id}")
               for p in products])


async def _viewers_of(redis: Redis, redis_keys: RedisKeys, show_ids: list[str], code: str) -> int:
    """Summed per show: each show's counts live in its own slot."""
    async with redis.pipeline(transaction=False) as pipe:
        for show_id in show_ids:
            pipe.pfcount(redis_keys.show(show_id).source_uniques(f"ref:{code}"))
        return sum(int(n) for n in await pipe.execute())


async def dashboard(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, affiliate: AffiliateOut,
                    totals: LedgerTotals) -> AffiliateDashboard:
    links = await _links(session, affiliate)
    clicks = await session.scalar(select(func.count()).where(AffiliateClick.affiliate_id == affiliate.id))
    buyers, orders = (await session.execute(
        select(func.count(distinct(Order.buyer_id)), func.count())
        .where(Order.affiliate_id == affiliate.id, Order.status == PAID))).one()
    recent = await session.scalars(select(Order).where(Order.affiliate_id == affiliate.id)
                                   .order_by(Order.created_at.desc(), Order.id.desc()).limit(RECENT_ORDERS))
    name = await session.scalar(select(Merchant.name).where(Merchant.id == affiliate.merchant_id))
    stats = AffiliateStats(clicks=int(clicks or 0), buyers=int(buyers), orders=int(orders),
                           viewers=await _viewers_of(redis, redis_keys, [x.id for x in links if x.kind == "show"],
                                                     affiliate.code))
    return AffiliateDashboard(
        affiliate=affiliate, merchant_name=name or "", links=links, stats=stats, totals=totals,
        orders=[AttributedOrder(id=o.id, show_id=o.show_id, status=o.status, amount_cents=o.price_cents * o.quantity,
                                currency=o.currency, created_at=o.created_at) for o in recent])
