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

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Order, Show
from live.commerce import stock
from live.commerce.expiry import active_shows
from live.commerce.orders import PAID, RESERVED
from live.config import Settings
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

    @property
    def problems(self) -> list[str]:
        found = []
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


async def _redis_units(redis: Redis, rk: RedisKeys, show_id: str) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """Units per (offer, status) from the show's orders hash, and held units per offer from the tallies."""
    sk = rk.show(show_id)
    by_status: Counter[tuple[str, str]] = Counter()
    async for _, text in redis.hscan_iter(sk.orders, count=1000):
        order = json.loads(text)
        by_status[(order["offer_id"], order["status"])] += int(order["quantity"])
    held: Counter[str] = Counter()
    async for field, units in redis.hscan_iter(sk.bought, count=1000):
        held[str(field).split(":", 1)[0]] += int(units)
    return by_status, held


async def wait_quiescent(redis: Redis, rk: RedisKeys, show_ids: list[str], timeout: float = 30.0) -> bool:
    """Wait until no order event and no payment capture is in flight, so SQL has caught up with Redis.
    Returns False if the workers are still busy after ``timeout`` (the counts may then differ)."""
    streams = [rk.show(show_id).stream for show_id in show_ids]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        # Show streams, then payments (a capture adds a 'paid' event), then show streams again.
        lengths = [await redis.xlen(s) for s in (*streams, rk.payments_stream, *streams)]
        if not any(lengths):
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)


async def reconcile(session: AsyncSession, redis: Redis, rk: RedisKeys, show_id: str | None = None
                    ) -> list[OfferBalance]:
    query = select(Show.id).where(Show.state != "scheduled")
    if show_id:
        query = query.where(Show.id == show_id)
    balances = []
    for sid in (await session.scalars(query.order_by(Show.id))).all():
        offers = (await session.scalars(select(Offer).where(Offer.show_id == sid).order_by(Offer.position))).all()
        remaining = await stock.remaining(redis, rk, sid)
        returned = await stock.returned(redis, rk, sid)
        units, held = await _redis_units(redis, rk, sid)
        sql_rows = await session.execute(
            select(Order.offer_id, Order.status, func.sum(Order.quantity))
            .where(Order.show_id == sid)
            .group_by(Order.offer_id, Order.status)
        )
        sql_units = {(offer_id, status): int(total) for offer_id, status, total in sql_rows}
        for offer in offers:
            balances.append(OfferBalance(
                show_id=sid, offer_id=offer.id, allocated=offer.stock, remaining=remaining.get(offer.id, 0),
                reserved=units[(offer.id, RESERVED)], paid=units[(offer.id, PAID)],
                returned=returned.get(offer.id, 0), sql_reserved=sql_units.get((offer.id, RESERVED), 0),
                sql_paid=sql_units.get((offer.id, PAID), 0), sql_returned=offer.returned, held=held[offer.id],
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


async def run_reconcile(settings: Settings, show_id: str | None) -> int:
    """The CLI: prints the table; exit status 1 if any offer does not balance."""
    from live import keys
    from live.cli import started_app

    async with started_app(settings) as app, app[keys.sessionmaker_key]() as session:
        redis, rk = app[keys.redis_key], app[keys.redis_keys_key]
        shows = [show_id] if show_id else await active_shows(redis, rk)
        if not await wait_quiescent(redis, rk, shows):
            print("warning: workers are still writing; differences below may be in flight")
        balances = await reconcile(session, redis, rk, show_id)
    print(format_table(balances))
    bad = [b for b in balances if not b.ok]
    print(f"{len(balances)} offers checked, {len(bad)} with differences.")
    return 1 if bad else 0
