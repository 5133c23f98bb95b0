"""A show's results, read from SQL: orders (written by the persistence worker), the viewer figures kept by
``live.realtime.presence`` (show_stats, show_minutes) and the lineup. Plain functions over a session so they
are testable without a server; the aggregation happens in SQL (GROUP BY), not in Python loops over orders.

Only ``paid`` orders count as sold; the others appear in the counts by status."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Order, Product, Show, ShowMinute, ShowStats
from live.commerce.orders import PAID
from live.community import complaints
from live.schemas.results import MinuteResult, OfferResult, OrderCounts, Revenue, ShowResults

MAX_MINUTES = 24 * 60  # a chart of one day at most: the latest minutes are kept


def conversion(buyers: int, unique_viewers: int) -> float | None:
    """Buyers over viewers; every buyer is a viewer, so the ratio stays within 0..1; None for an empty show."""
    audience = max(unique_viewers, buyers)
    return round(buyers / audience, 4) if audience else None


def _minute_of(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("minute", column)
    return func.strftime("%Y-%m-%d %H:%M:00", column)


def _as_minute(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(second=0, microsecond=0)


async def order_counts(session: AsyncSession, show_id: str) -> OrderCounts:
    rows = await session.execute(
        select(Order.status, func.count()).where(Order.show_id == show_id).group_by(Order.status))
    by_status = {status: int(n) for status, n in rows.all()}
    return OrderCounts(total=sum(by_status.values()), **by_status)


def _paid(show_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return Order.show_id == show_id, Order.status == PAID


async def revenue(session: AsyncSession, show_id: str) -> list[Revenue]:
    rows = await session.execute(
        select(Order.currency, func.sum(Order.quantity * Order.price_cents))
        .where(*_paid(show_id)).group_by(Order.currency).order_by(Order.currency))
    return [Revenue(currency=currency, amount_cents=int(amount or 0)) for currency, amount in rows.all()]


async def buyers(session: AsyncSession, show_id: str) -> int:
    return int(await session.scalar(select(func.count(distinct(Order.buyer_id))).where(*_paid(show_id))) or 0)


async def offer_results(session: AsyncSession, show_id: str) -> list[OfferResult]:
    sold = {
        offer_id: (int(n), int(units or 0), int(amount or 0), int(people))
        for offer_id, n, units, amount, people in (await session.execute(
            select(Order.offer_id, func.count(), func.sum(Order.quantity),
                   func.sum(Order.quantity * Order.price_cents), func.count(distinct(Order.buyer_id)))
            .where(*_paid(show_id)).group_by(Order.offer_id))).all()
    }
    lineup = await session.execute(
        select(Offer, Product.title).join(Product, Product.id == Offer.product_id)
        .where(Offer.show_id == show_id).order_by(Offer.position))
    results = []
    for offer, title in lineup.all():
        n, units, amount, people = sold.get(offer.id, (0, 0, 0, 0))
        results.append(OfferResult(
            offer_id=offer.id, product_id=offer.product_id, title=title, currency=offer.currency,
            price_cents=offer.price_cents, stock=offer.stock, orders=n, units_sold=units, revenue_cents=amount,
            buyers=people))
    return results


async def minutes(session: AsyncSession, show_id: str) -> list[MinuteResult]:
    """Viewers (from show_minutes) and paid orders (by the minute they were placed), gaps filled with zeros."""
    series: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0])
    for minute, viewers in (await session.execute(
            select(ShowMinute.minute, ShowMinute.viewers).where(ShowMinute.show_id == show_id))).all():
        series[_as_minute(minute)][0] = int(viewers)
    bucket = _minute_of(session, Order.created_at).label("minute")
    for minute, n, units in (await session.execute(
            select(bucket, func.count(), func.sum(Order.quantity)).where(*_paid(show_id)).group_by(bucket))).all():
        entry = series[_as_minute(minute)]
        entry[1], entry[2] = int(n), int(units or 0)
    if not series:
        return []
    first, last = min(series), max(series)
    first = max(first, last - timedelta(minutes=MAX_MINUTES - 1))
    count = int((last - first) / timedelta(minutes=1)) + 1
    out = []
    for i in range(count):
        minute = first + timedelta(minutes=i)
        viewers, n, units = series.get(minute, (0, 0, 0))
        out.append(MinuteResult(minute=minute, viewers=viewers, orders=n, units=units))
    return out


async def show_results(session: AsyncSession, show: Show) -> ShowResults:
    stats = await session.get(ShowStats, show.id)
    peak, uniques = (stats.peak_viewers, stats.unique_viewers) if stats else (0, 0)
    counts = await order_counts(session, show.id)
    offers = await offer_results(session, show.id)
    people = await buyers(session, show.id)
    return ShowResults(
        show_id=show.id, title=show.title, state=show.state,
        started_at=show.started_at, ended_at=show.ended_at, peak_viewers=peak, unique_viewers=uniques,
        orders=counts, units_sold=sum(o.units_sold for o in offers), revenue=await revenue(session, show.id),
        buyers=people, conversion=conversion(people, uniques), offers=offers,
        minutes=await minutes(session, show.id), complaints=await complaints.show_stats(session, show.id))
