"""Reviews from verified buyers: only a viewer with a paid order of the product may review it, once (then
edit it). Other viewers vote it helpful or not, once each, never their own. The merchant may reply once and
report abuse, but cannot edit, hide or delete a review: every review counts in the average."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Order, Product, Review, ReviewVote
from live import policy
from live.auth import Principal
from live.commerce.orders import PAID
from live.community import badges, words
from live.errors import Conflict, Forbidden, Invalid
from live.ids import new_id
from live.lookup import found
from live.schemas.community import ReplyOut, ReviewIn, ReviewOut, ReviewPatch, ReviewSummary

SORTS: dict[str, tuple[Any, ...]] = {
    "recent": (Review.created_at.desc(), Review.id.desc()),
    "helpful": (Review.helpful.desc(), Review.created_at.desc(), Review.id.desc()),
    "rating": (Review.rating.desc(), Review.created_at.desc(), Review.id.desc()),
}


async def get_product(session: AsyncSession, product_id: str) -> Product:
    return await found(session, Product, product_id, "product")


async def get_review(session: AsyncSession, review_id: str) -> tuple[Review, Product]:
    review = await found(session, Review, review_id, "review")
    return review, await get_product(session, review.product_id)


async def has_bought(session: AsyncSession, product_id: str, user_id: str) -> bool:
    """A paid order of the product, in any show."""
    found = await session.scalar(
        select(Order.id).join(Offer, Offer.id == Order.offer_id)
        .where(Offer.product_id == product_id, Order.buyer_id == user_id, Order.status == PAID).limit(1))
    return found is not None


async def create(session: AsyncSession, principal: Principal, product: Product, data: ReviewIn) -> Review:
    if principal.role != "viewer" or not await has_bought(session, product.id, principal.user_id):
        raise Forbidden("only a buyer with a paid order of this product may review it", code="not_a_buyer")
    await words.check(session, product.merchant_id, data.title, data.body)
    existing = await session.scalar(
        select(Review.id).where(Review.product_id == product.id, Review.user_id == principal.user_id))
    if existing is not None:
        raise Conflict("you reviewed this product already: edit your review instead", code="already_reviewed",
                       review_id=existing)
    review = Review(id=new_id("rev"), product_id=product.id, user_id=principal.user_id, rating=data.rating,
                    title=data.title, text=data.body, created_at=datetime.now(UTC), helpful=0)
    session.add(review)
    try:
        await session.commit()
    except IntegrityError as exc:  # the same buyer, twice at once
        await session.rollback()
        raise Conflict("you reviewed this product already", code="already_reviewed") from exc
    return review


async def edit(session: AsyncSession, principal: Principal, review: Review, product: Product,
               patch: ReviewPatch) -> Review:
    if review.user_id != principal.user_id:
        raise Forbidden("only its author may edit a review", code="not_author")
    changes = patch.model_dump(exclude_unset=True)
    await words.check(session, product.merchant_id, changes.get("title"), changes.get("body"))
    if changes.get("rating") is not None:
        review.rating = changes["rating"]
    if "title" in changes:
        review.title = changes["title"]
    if changes.get("body") is not None:
        review.text = changes["body"]
    review.edited_at = datetime.now(UTC)
    await session.commit()
    return review


async def vote(session: AsyncSession, principal: Principal, review: Review, helpful: bool) -> int:
    """One vote per viewer and review; the helpful count moves in the same transaction."""
    if principal.role != "viewer":
        raise Forbidden("only customers vote on reviews", code="not_a_viewer")
    if review.user_id == principal.user_id:
        raise Forbidden("you cannot vote on your own review", code="own_review")
    session.add(ReviewVote(review_id=review.id, user_id=principal.user_id, helpful=helpful))
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("you voted on this review already", code="already_voted") from exc
    if helpful:
        await session.execute(update(Review).where(Review.id == review.id).values(helpful=Review.helpful + 1))
    await session.commit()
    return int(await session.scalar(select(Review.helpful).where(Review.id == review.id)) or 0)


def require_merchant(principal: Principal, product: Product) -> None:
    if not policy.owns(principal, product.merchant_id):
        raise Forbidden("only the product's merchant may do this", code="not_owner")


async def reply(session: AsyncSession, principal: Principal, review: Review, product: Product, text: str) -> Review:
    require_merchant(principal, product)
    if review.reply is not None:
        raise Conflict("the review has a reply already", code="already_replied")
    review.reply, review.replied_at = text, datetime.now(UTC)
    await session.commit()
    return review


async def report(session: AsyncSession, principal: Principal, review: Review, product: Product,
                 reason: str) -> Review:
    """Marks the review for the operator's attention; it stays public and keeps counting."""
    require_merchant(principal, product)
    review.reported_at, review.report_reason = datetime.now(UTC), reason
    await session.commit()
    return review


async def summary(session: AsyncSession, product_id: str) -> ReviewSummary:
    rows = (await session.execute(
        select(Review.rating, func.count()).where(Review.product_id == product_id).group_by(Review.rating))).all()
    histogram = {str(star): 0 for star in range(1, 6)}
    for rating, n in rows:
        histogram[str(rating)] = int(n)
    count = sum(histogram.values())
    total = sum(int(star) * n for star, n in histogram.items())
    return ReviewSummary(average=round(total / count, 2) if count else None, count=count, histogram=histogram)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().removeprefix("o:"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor is not one this API gave out", code="invalid_cursor") from exc
    if offset < 0:
        raise Invalid("cursor is not one this API gave out", code="invalid_cursor")
    return offset


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


async def page(session: AsyncSession, query: Any, sort: str, limit: int, cursor: str | None
               ) -> tuple[list[Review], str | None]:
    offset = _offset(cursor)
    rows = list(await session.scalars(query.order_by(*SORTS[sort]).offset(offset).limit(limit + 1)))
    return rows[:limit], _cursor(offset + limit) if len(rows) > limit else None


async def views(session: AsyncSession, merchant_id: str, rows: list[Review]) -> list[ReviewOut]:
    people = await badges.authors(session, badges.Place(merchant_id), {r.user_id for r in rows})
    return [
        ReviewOut(
            id=r.id, product_id=r.product_id, rating=r.rating, title=r.title, body=r.text, author=people[r.user_id],
            verified_purchase=True, helpful=r.helpful, created_at=r.created_at, edited_at=r.edited_at,
            reply=ReplyOut(text=r.reply, created_at=r.replied_at) if r.reply and r.replied_at else None,
            reported=r.reported_at is not None)
        for r in rows
    ]


def of_product(product_id: str) -> Any:
    return select(Review).where(Review.product_id == product_id)


def of_merchant(merchant_id: str) -> Any:
    return select(Review).join(Product, Product.id == Review.product_id).where(Product.merchant_id == merchant_id)


async def product_titles(session: AsyncSession, product_ids: set[str]) -> dict[str, str]:
    return dict((await session.execute(select(Product.id, Product.title).where(Product.id.in_(product_ids)))).all())
