"""Reading orders: one order (fresh from Redis while its show runs, SQL otherwise), a buyer's history and a
show's orders for its merchant, with keyset pagination."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, Show, User
from live import policy
from live.auth import Principal
from live.commerce.orders import OrderRecord, get_live_order
from live.errors import Invalid, NotFound
from live.ids import show_of_order
from live.lookup import found
from live.rediskeys import RedisKeys
from live.schemas.common import EARLIEST, LATEST


def record_from_row(row: Order) -> OrderRecord:
    def ms(moment: datetime) -> int:
        return int(moment.timestamp() * 1000)

    return OrderRecord(
        id=row.id, show_id=row.show_id, offer_id=row.offer_id, buyer_id=row.buyer_id,
        idempotency_key=row.idempotency_key, quantity=row.quantity, price_cents=row.price_cents,
        currency=row.currency, status=row.status, failure_code=row.failure_code, created_ms=ms(row.created_at),
        expires_ms=ms(row.expires_at), updated_ms=ms(row.updated_at),
    )


async def get_order(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, principal: Principal, order_id: str
                    ) -> OrderRecord:
    """The buyer or the show's merchant may read an order; Redis has the freshest status."""
    show_id = show_of_order(order_id)
    if show_id is None:
        raise NotFound("no such order")
    record = await get_live_order(redis, redis_keys.show(show_id), order_id)
    if record is None:
        row = await found(session, Order, order_id, "order")
        record = record_from_row(row)
    if record.buyer_id != principal.user_id:
        merchant_id = await session.scalar(select(Show.merchant_id).where(Show.id == record.show_id))
        policy.require_order_reader(principal, record.buyer_id, merchant_id)
    return record


def _encode_cursor(row: Order) -> str:
    raw = f"{int(row.created_at.timestamp() * 1_000_000)}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, order_id = raw.split("|", 1)
        created = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
        if not EARLIEST <= created < LATEST:  # not a time an order of ours was made at
            raise ValueError(created)
        return created, order_id
    except (ValueError, UnicodeDecodeError, OverflowError, OSError) as exc:  # OverflowError: a huge number
        raise Invalid("cursor is not one this API gave out", code="invalid_cursor") from exc


async def _page(session: AsyncSession, query: Any, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """Newest first; the cursor is the last row's (created_at, id)."""
    if cursor:
        created, order_id = _decode_cursor(cursor)
        query = query.where(or_(Order.created_at < created, and_(Order.created_at == created, Order.id < order_id)))
    rows = list(await session.execute(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _encode_cursor(rows[-1][0]) if more and rows else None


async def buyer_orders(session: AsyncSession, buyer_id: str, limit: int, cursor: str | None
                       ) -> tuple[list[OrderRecord], str | None]:
    rows, next_cursor = await _page(session, select(Order).where(Order.buyer_id == buyer_id), limit, cursor)
    return [record_from_row(row[0]) for row in rows], next_cursor


async def show_orders(session: AsyncSession, show_id: str, limit: int, cursor: str | None
                      ) -> tuple[list[tuple[OrderRecord, User]], str | None]:
    query = select(Order, User).join(User, User.id == Order.buyer_id).where(Order.show_id == show_id)
    rows, next_cursor = await _page(session, query, limit, cursor)
    return [(record_from_row(order), buyer) for order, buyer in rows], next_cursor
