"""The persistence worker: writes the show streams' order events to SQL in batches, idempotently by order id,
then acknowledges them. An order the tap path answered 201 is already in Redis's append-only log; here it
reaches SQL moments later, and after a crash the entries still pending are claimed and written again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from redis.asyncio import Redis
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order
from db.session import Sessionmaker, upsert_insert
from live.commerce.active import active_shows
from live.commerce.consumer import Entry, StreamConsumer
from live.commerce.orders import PAID, RESERVED, OrderRecord
from live.reach import attribution, ledger
from live.rediskeys import RedisKeys
from live.shows import lineup
from live.signals import Signal


@dataclass(frozen=True, slots=True)
class OrderEvent:
    type: str  # created, paid, payment_failed, expired
    order: OrderRecord
    returned: bool  # the units went back to the inventory (the show had ended)

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> OrderEvent:
        return cls(fields["type"], OrderRecord.from_json(fields["order"]), fields.get("returned") == "1")


def latest_per_order(records: Iterable[OrderRecord]) -> dict[str, OrderRecord]:
    """One snapshot per order: a final status wins over 'reserved' whatever order the entries came in
    (claimed entries can arrive after newer ones)."""
    latest: dict[str, OrderRecord] = {}
    for record in records:
        seen = latest.get(record.id)
        if seen is None or seen.status == RESERVED:
            latest[record.id] = record
    return latest


def _row(record: OrderRecord) -> dict[str, Any]:
    return {
        "id": record.id, "show_id": record.show_id, "offer_id": record.offer_id, "buyer_id": record.buyer_id,
        "idempotency_key": record.idempotency_key, "quantity": record.quantity, "price_cents": record.price_cents,
        "currency": record.currency, "status": record.status, "failure_code": record.failure_code,
        "created_at": record.created_at, "expires_at": record.expires_at, "updated_at": record.updated_at,
        "ref": record.ref, "utm_source": record.utm_source, "utm_medium": record.utm_medium,
        "utm_campaign": record.utm_campaign,
    }


@cache
def _upsert_statement(dialect: str) -> Any:
    """One statement per dialect, executed with many parameter sets: compiled once, cached by SQLAlchemy."""
    orders = cast(Table, Order.__table__)  # Core, not the ORM's bulk path: less work per row
    stmt = upsert_insert(dialect)(orders)
    return stmt.on_conflict_do_update(
        index_elements=[orders.c.id],
        set_={"status": stmt.excluded.status, "failure_code": stmt.excluded.failure_code,
              "updated_at": stmt.excluded.updated_at},
        where=(orders.c.status == RESERVED) & (stmt.excluded.status != RESERVED),
    )


async def upsert_orders(session: AsyncSession, records: Iterable[OrderRecord]) -> None:
    """INSERT new orders; move existing ones out of 'reserved' only (a final status is never overwritten)."""
    rows = [_row(r) for r in records]
    if rows:
        await attribution.resolve_refs(session, rows)
        await session.execute(_upsert_statement(session.get_bind().dialect.name), rows)


async def queue_capture(redis: Redis, redis_keys: RedisKeys, created: list[tuple[str, str]]) -> None:
    """One payments entry per new order (so one order the capture cannot handle never holds others), each
    with ``since_ms``, when its order event entered the show's stream: how long capture has been waiting
    (expiry.py holds expiries while that is too long)."""
    if not created:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for entry_id, order_id in created:
            pipe.xadd(redis_keys.payments_stream, {"order_ids": order_id, "since_ms": entry_id.partition("-")[0]})
        await pipe.execute()


class OrderPersister(StreamConsumer):
    group = "persist"

    def __init__(self, redis: Redis, redis_keys: RedisKeys, sessionmaker: Sessionmaker,
                 orders_changed: Signal[list[dict[str, Any]]], consumer: str, **kw: Any):
        super().__init__(redis, redis_keys, consumer, **kw)
        self.sessionmaker = sessionmaker
        self.orders_changed = orders_changed

    async def streams(self) -> list[str]:
        return [self.redis_keys.show(show_id).stream for show_id in await active_shows(self.redis, self.redis_keys)]

    def shows_of(self, entry: Entry) -> list[str]:
        try:
            return [OrderEvent.from_fields(entry[2]).order.show_id]
        except (KeyError, ValueError):
            return []

    async def handle(self, entries: list[Entry]) -> None:
        """SQL first; then queue payment capture for new orders, hand late-returned units back to the
        inventory, and tell listeners (the buyer's socket) about status changes."""
        events = [OrderEvent.from_fields(fields) for _, _, fields in entries]
        async with self.sessionmaker() as session:
            await upsert_orders(session, latest_per_order(e.order for e in events).values())
            await ledger.record_paid(session, {e.order.id for e in events if e.order.status == PAID and e.order.ref})
            await session.commit()
        await queue_capture(self.redis, self.redis_keys, [(entry_id, e.order.id) for (_, entry_id, _), e
                                                  in zip(entries, events, strict=True) if e.type == "created"])
        for show_id in {e.order.show_id for e in events if e.returned}:
            async with self.sessionmaker() as session:
                await lineup.sync_returned_stock(session, self.redis, self.redis_keys, show_id)
        # created too: the show's staff see every reservation
        await self.orders_changed.send([event.order.public() for event in events])
