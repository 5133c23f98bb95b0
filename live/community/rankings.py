"""A merchant's top products by rating, sales or number of reviews. Rating ranks by a Bayesian average: each
product's reviews plus ``PRIOR_REVIEWS`` imaginary reviews at the merchant's mean (the global mean when the
merchant has none), so one 5-star review does not outrank a hundred 4.8s."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Order, Product, Review
from live.commerce.orders import PAID
from live.schemas.community import RankedProduct

PRIOR_REVIEWS = 5
NEUTRAL_MEAN = 3.0


def bayesian(total: int, count: int, prior_mean: float, prior_count: int = PRIOR_REVIEWS) -> float | None:
    """(prior_count x prior_mean + sum of ratings) / (prior_count + count); None without reviews."""
    if count == 0:
        return None
    return round((prior_count * prior_mean + total) / (prior_count + count), 4)


async def prior_mean(session: AsyncSession, merchant_id: str) -> float:
    mine = await session.scalar(select(func.avg(Review.rating)).join(Product, Product.id == Review.product_id)
                                .where(Product.merchant_id == merchant_id))
    if mine is not None:
        return float(mine)
    everyone = await session.scalar(select(func.avg(Review.rating)))
    return float(everyone) if everyone is not None else NEUTRAL_MEAN


async def rank(session: AsyncSession, merchant_id: str, by: str, limit: int) -> list[RankedProduct]:
    products = list(await session.scalars(
        select(Product).where(Product.merchant_id == merchant_id, Product.archived_at.is_(None))))
    ids = [p.id for p in products]
    reviews = {pid: (int(total or 0), int(n)) for pid, total, n in (await session.execute(
        select(Review.product_id, func.sum(Review.rating), func.count())
        .where(Review.product_id.in_(ids)).group_by(Review.product_id))).all()}
    sold = {pid: int(units or 0) for pid, units in (await session.execute(
        select(Offer.product_id, func.sum(Order.quantity)).select_from(Order).join(Offer, Offer.id == Order.offer_id)
        .where(Offer.product_id.in_(ids), Order.status == PAID).group_by(Offer.product_id))).all()}
    mean = await prior_mean(session, merchant_id)
    ranked = []
    for p in products:
        total, count = reviews.get(p.id, (0, 0))
        ranked.append(RankedProduct(
            product_id=p.id, title=p.title, image_url=p.image_url,
            rating=round(total / count, 2) if count else None, reviews=count, score=bayesian(total, count, mean),
            units_sold=sold.get(p.id, 0)))
    if by == "rating":
        ranked = [r for r in ranked if r.score is not None]
        ranked.sort(key=lambda r: (-(r.score or 0), -r.reviews, r.product_id))
    elif by == "sales":
        ranked.sort(key=lambda r: (-r.units_sold, r.product_id))
    else:
        ranked.sort(key=lambda r: (-r.reviews, r.product_id))
    return ranked[:limit]
