"""``live reconcile``: prove, for every offer on sale or sold, that no unit was created or lost:

    allocated = remaining + reserved + paid + returned

counted in Redis (the truth while a show runs), and that SQL agrees with Redis about every order's status
and about the units handed back to the inventory.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Order, Show
from live.commerce import stock
from live.commerce.orders import PAID, RESERVED
from live.rediskeys import RedisKeys


@dataclass(frozen=True, slots=True)
class OfferBalance:
    show_id: str
    offer_id: str
    allocated: int
    remaining: int
    reserved: int
    paid: int
    returned: int
    sql_reserved: int
    sql_paid: int
    sql_returned: int
    held: int  # the buyers' tallies used for per-buyer limits
    not_in_sql: tuple[str, ...] = ()  # order ids Redis holds that SQL does not (unpersisted)
    not_in_redis: tuple[str, ...] = ()  # order ids SQL holds that Redis lost (Redis behind SQL)
    archived: bool = False  # an ended show whose Redis keys have expired: SQL alone is the record

    @property
    def problems(self) -> list[str]:
        if self.archived:
            return [] if self.sql_reserved == 0 and self.sql_paid + self.sql_returned <= self.allocated else [
                "SQL orders exceed the allocation or are still reserved"]
        found = []
        if self.not_in_sql:
            found.append(f"acknowledged orders not in SQL: {' '.join(self.not_in_sql)}")
        if self.not_in_redis:
            found.append(f"orders in SQL that Redis lost: {' '.join(self.not_in_redis)}")
        if self.allocated != self.remaining + self.reserved + self.paid + self.returned:
            found.append("units created or lost")
        if (self.sql_reserved, self.sql_paid) != (self.reserved, self.paid):
            found.append("SQL orders differ from Redis")
        if self.sql_returned != self.returned:
            found.append("returned units not in SQL inventory")
        if self.held != self.reserved + self.paid:
            found.append("buyer tallies differ from orders")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _RedisOrders:
    units: Counter[tuple[str, str]]  # (offer, status) -> units
    held: Counter[str]  # offer -> units in the buyers' tallies
    ids: dict[str, set[str]]  # offer -> order ids


async def _redis_orders(redis: Redis, redis_keys: RedisKeys, show_id: str) -> _RedisOrders:
    """Units per (offer, status) and order ids per offer from the show's orders hash, held units per offer
    from the tallies."""
    show_keys = redis_keys.show(show_id)
    found = _RedisOrders(Counter(), Counter(), {})
    async for order_id, text in redis.hscan_iter(show_keys.orders, count=1000):
        order = json.loads(text)
        found.units[(order["offer_id"], order["status"])] += int(order["quantity"])
        found.ids.setdefault(order["offer_id"], set()).add(str(order_id))
    async for field, units in redis.hscan_iter(show_keys.bought, count=1000):
        found.held[str(field).split(":", 1)[0]] += int(units)
    return found


async def wait_quiescent(redis: Redis, redis_keys: RedisKeys, show_ids: list[str], timeout: float = 30.0) -> bool:
    """Wait until no order event and no payment capture is in flight, so SQL has caught up with Redis.
    Returns False if the workers are still busy after ``timeout`` (the counts may then differ)."""
    streams = [redis_keys.show(show_id).stream for show_id in show_ids]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        # Show streams, then payments (a capture adds a 'paid' event), then show streams again.
        lengths = [await redis.xlen(s) for s in (*streams, redis_keys.payments_stream, *streams)]
        if not any(lengths):
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)


async def reconcile(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show_id: str | None = None,
                    ended_since: datetime | None = None) -> list[OfferBalance]:
    """Every started show (or one), or with ``ended_since`` the live ones and those ended since then."""
    query = select(Show.id, Show.state).where(Show.state != "scheduled")
    if show_id:
        query = query.where(Show.id == show_id)
    elif ended_since is not None:
        query = query.where((Show.state == "live") | (Show.ended_at >= ended_since))
    balances = []
    for sid, state in (await session.execute(query.order_by(Show.id))).all():
        offers = (await session.scalars(select(Offer).where(Offer.show_id == sid).order_by(Offer.position))).all()
        remaining = await stock.remaining(redis, redis_keys, sid)
        returned = await stock.returned(redis, redis_keys, sid)
        found = await _redis_orders(redis, redis_keys, sid)
        archived = (state == "ended" and not remaining and not found.ids
                    and not await redis.exists(redis_keys.show(sid).state))
        sql_rows = await session.execute(
            select(Order.offer_id, Order.status, func.sum(Order.quantity))
            .where(Order.show_id == sid)
            .group_by(Order.offer_id, Order.status)
        )
        sql_units = {(offer_id, status): int(total) for offer_id, status, total in sql_rows}
        sql_ids: dict[str, set[str]] = {}
        for order_id, offer_id in await session.execute(select(Order.id, Order.offer_id).where(Order.show_id == sid)):
            sql_ids.setdefault(offer_id, set()).add(order_id)
        for offer in offers:
            in_redis, in_sql = found.ids.get(offer.id, set()), sql_ids.get(offer.id, set())
            balances.append(OfferBalance(
                show_id=sid, offer_id=offer.id, allocated=offer.stock, remaining=remaining.get(offer.id, 0),
                reserved=found.units[(offer.id, RESERVED)], paid=found.units[(offer.id, PAID)],
                returned=returned.get(offer.id, 0), sql_reserved=sql_units.get((offer.id, RESERVED), 0),
                sql_paid=sql_units.get((offer.id, PAID), 0), sql_returned=offer.returned,
                held=found.held[offer.id], archived=archived,
                not_in_sql=tuple(sorted(in_redis - in_sql)), not_in_redis=tuple(sorted(in_sql - in_redis)),
            ))
    return balances


def format_table(balances: list[OfferBalance]) -> str:
    header = ("show", "offer", "allocated", "remaining", "reserved", "paid", "returned", "result")
    rows = [header] + [
        (b.show_id, b.offer_id, str(b.allocated), str(b.remaining), str(b.reserved), str(b.paid), str(b.returned),
         "ok" if b.ok else "; ".join(b.problems))
        for b in balances
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
