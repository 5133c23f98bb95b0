"""Expert customers, per merchant: earned after enough paid orders and helpful votes on their reviews (the
merchant's thresholds), or named by the merchant; a merchant may also revoke an earned one."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CommunitySettings, Expert, Order, Product, Review, Show, User
from live.commerce.orders import PAID
from live.errors import NotFound

DEFAULT_MIN_ORDERS = 3
DEFAULT_MIN_HELPFUL = 5
MAX_LISTED = 500


async def thresholds(session: AsyncSession, merchant_id: str) -> tuple[int, int]:
    """(paid orders, helpful votes) a customer needs to become an expert of this merchant."""
    row = await session.get(CommunitySettings, merchant_id)
    return (row.expert_min_orders, row.expert_min_helpful) if row else (DEFAULT_MIN_ORDERS, DEFAULT_MIN_HELPFUL)


async def set_thresholds(session: AsyncSession, merchant_id: str, min_orders: int, min_helpful: int) -> None:
    row = await session.get(CommunitySettings, merchant_id)
    if row is None:
        session.add(CommunitySettings(merchant_id=merchant_id, expert_min_orders=min_orders,
                                      expert_min_helpful=min_helpful))
    else:
        row.expert_min_orders, row.expert_min_helpful = min_orders, min_helpful
    await session.commit()


async def paid_orders(session: AsyncSession, merchant_id: str, user_ids: Collection[str] | None = None
                      ) -> dict[str, int]:
    """Paid orders per buyer in this merchant's shows (every buyer when ``user_ids`` is None)."""
    query = (select(Order.buyer_id, func.count()).join(Show, Show.id == Order.show_id)
             .where(Show.merchant_id == merchant_id, Order.status == PAID).group_by(Order.buyer_id))
    if user_ids is not None:
        query = query.where(Order.buyer_id.in_(user_ids))
    return {user_id: int(n) for user_id, n in (await session.execute(query)).all()}


async def helpful_votes(session: AsyncSession, merchant_id: str, user_ids: Collection[str]) -> dict[str, int]:
    """Helpful votes on each user's reviews of this merchant's products."""
    rows = await session.execute(
        select(Review.user_id, func.sum(Review.helpful)).join(Product, Product.id == Review.product_id)
        .where(Product.merchant_id == merchant_id, Review.user_id.in_(user_ids)).group_by(Review.user_id))
    return {user_id: int(n or 0) for user_id, n in rows.all()}


async def decisions(session: AsyncSession, merchant_id: str, user_ids: Collection[str] | None = None
                    ) -> dict[str, str]:
    query = select(Expert.user_id, Expert.kind).where(Expert.merchant_id == merchant_id)
    if user_ids is not None:
        query = query.where(Expert.user_id.in_(user_ids))
    return dict((await session.execute(query)).all())


async def experts_among(session: AsyncSession, merchant_id: str, user_ids: Collection[str]) -> set[str]:
    """Which of these users are the merchant's experts now."""
    ids = set(user_ids)
    if not ids:
        return set()
    decided = await decisions(session, merchant_id, ids)
    named = {u for u, kind in decided.items() if kind == "named"}
    undecided = ids - set(decided)
    if not undecided:
        return named
    min_orders, min_helpful = await thresholds(session, merchant_id)
    orders = await paid_orders(session, merchant_id, undecided)
    candidates = {u for u, n in orders.items() if n >= min_orders}
    votes = await helpful_votes(session, merchant_id, candidates) if candidates else {}
    return named | {u for u in candidates if votes.get(u, 0) >= min_helpful}


async def decide(session: AsyncSession, merchant_id: str, user_id: str, kind: str) -> None:
    """Name (``named``) or revoke (``revoked``) an expert; the latest decision wins."""
    if await session.scalar(select(User.id).where(User.id == user_id, User.role == "viewer")) is None:
        raise NotFound("no such customer")
    row = await session.get(Expert, (merchant_id, user_id))
    if row is None:
        session.add(Expert(merchant_id=merchant_id, user_id=user_id, kind=kind))
    else:
        row.kind = kind
    await session.commit()


async def list_experts(session: AsyncSession, merchant_id: str) -> list[tuple[User, str, int, int]]:
    """(user, named|earned, paid orders, helpful votes) of every current expert, most orders first."""
    decided = await decisions(session, merchant_id)
    orders = await paid_orders(session, merchant_id)
    min_orders, min_helpful = await thresholds(session, merchant_id)
    candidates = {u for u, n in orders.items() if n >= min_orders and u not in decided}
    named = {u for u, kind in decided.items() if kind == "named"}
    votes = await helpful_votes(session, merchant_id, candidates | named)
    earned = {u for u in candidates if votes.get(u, 0) >= min_helpful}
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(earned | named)))}
    found = [(users[u], "named" if u in named else "earned", orders.get(u, 0), votes.get(u, 0))
             for u in earned | named if u in users]
    found.sort(key=lambda e: (-e[2], e[0].id))
    return found[:MAX_LISTED]
