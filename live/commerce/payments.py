"""Capturing payments off the tap path, in batches, and applying the provider's answers (synchronous or by
webhook).

paid: the reservation becomes an order to ship. failed: the units go back and the buyer's limit frees.
A success that arrives after the reservation expired is refunded, never double-sold.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Payment, User, WebhookEvent
from db.session import Sessionmaker, upsert_insert
from live.commerce import orders
from live.commerce.consumer import Entry, StreamConsumer
from live.commerce.orders import OrderDesk, OrderRecord
from live.commerce.providers import ChargeResult, PaymentProvider
from live.errors import Unavailable
from live.ids import new_id, show_of_order

log = logging.getLogger("live.commerce.payments")

_payments = cast(Table, Payment.__table__)
_SET_OUTCOME = (
    _payments.update()
    .where(_payments.c.order_id == bindparam("b_order_id"), _payments.c.status == "pending")
    .values(status=bindparam("b_status"), provider_ref=bindparam("b_ref"), failure_code=bindparam("b_code"))
)


class PaymentService:
    def __init__(self, desk: OrderDesk, sessionmaker: Sessionmaker, provider: PaymentProvider, concurrency: int = 32):
        self.desk = desk
        self.redis = desk.redis
        self.redis_keys = desk.redis_keys
        self.sessionmaker = sessionmaker
        self.provider = provider
        self._charging = asyncio.Semaphore(concurrency)

    async def _orders(self, order_ids: Sequence[str]) -> list[OrderRecord]:
        """The orders as Redis has them (the truth while a show runs): one HMGET per show, not a command per
        order."""
        by_show: dict[str, list[str]] = {}
        for order_id in dict.fromkeys(order_ids):  # a redelivered id once
            if show_id := show_of_order(order_id):  # not one of our ids: nothing to charge
                by_show.setdefault(show_id, []).append(order_id)
        if not by_show:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for show_id, ids in by_show.items():
                pipe.hmget(self.redis_keys.show(show_id).orders, ids)
            replies = await pipe.execute()
        return [OrderRecord.from_json(text) for texts in replies for text in texts if text]

    async def capture(self, order_ids: Sequence[str]) -> None:
        """Charge each buyer's saved method once per order (idempotent by order id, so a redelivered batch
        charges nobody twice): a few SQL statements per batch, not per order. A reserved order gets its
        payment row first; a payment whose answer was never recorded (the database went away after the
        charge) is asked again, whatever the order's status now: the provider answers the same charge."""
        found = await self._orders(order_ids)
        if not found:
            return
        async with self.sessionmaker() as session:
            ids = [o.id for o in found]
            known = {p.order_id: p for p in await session.scalars(select(Payment).where(Payment.order_id.in_(ids)))}
            todo = [o for o in found if (o.id not in known and o.status == orders.RESERVED)
                    or (o.id in known and known[o.id].status == "pending" and not known[o.id].provider_ref)]
            if not todo:
                return
            buyers = {o.buyer_id for o in todo}
            methods = dict((await session.execute(
                select(User.id, User.payment_method).where(User.id.in_(buyers)))).all())
            new_rows = [
                {"id": new_id("pay"), "order_id": o.id, "provider": self.provider.name,
                 "method": methods.get(o.buyer_id) or "", "amount_cents": o.amount_cents, "currency": o.currency,
                 "status": "pending"}
                for o in todo if o.id not in known
            ]
            if new_rows:
                insert = upsert_insert(session.get_bind().dialect.name)
                await session.execute(insert(_payments).on_conflict_do_nothing(index_elements=["order_id"]), new_rows)
            await session.commit()

        async def charge(order: OrderRecord) -> tuple[str, ChargeResult]:
            method = methods.get(order.buyer_id)
            if not method:
                return order.id, ChargeResult("failed", "", "payment_method_missing")
            async with self._charging:
                return order.id, await self.provider.charge(
                    order_id=order.id, amount_cents=order.amount_cents, currency=order.currency, method=method)

        await self.apply(await asyncio.gather(*(charge(o) for o in todo)))

    async def apply(self, outcomes: Sequence[tuple[str, ChargeResult]], webhook_id: str | None = None
                    ) -> dict[str, str]:
        """Move each order by the provider's answer and record it; returns each payment's status. The moves
        in Redis are idempotent (a paid order stays paid); the record, and the webhook id that caused it, are
        written in one transaction, so a webhook is marked handled only once its effect is."""

        async def move(order_id: str, result: ChargeResult) -> str:
            if result.status == "succeeded":
                if await self.desk.settle(order_id) == orders.PAID:
                    return "succeeded"
                await self.provider.refund(result.reference)  # the reservation lapsed before the money came
                return "refunded"
            if result.status == "failed":
                await self.desk.release(order_id, orders.PAYMENT_FAILED, result.failure_code or "declined")
                return "failed"
            return "pending"

        statuses = await asyncio.gather(*(move(order_id, result) for order_id, result in outcomes))
        if outcomes:
            async with self.sessionmaker() as session:
                if webhook_id is not None:
                    session.add(WebhookEvent(id=webhook_id))
                    await session.flush()  # a concurrent redelivery fails here (IntegrityError) and changes nothing
                await session.execute(_SET_OUTCOME, [
                    {"b_order_id": order_id, "b_status": status, "b_ref": result.reference or None,
                     "b_code": result.failure_code}
                    for (order_id, result), status in zip(outcomes, statuses, strict=True)
                ])
                await session.commit()
        return {order_id: status for (order_id, _), status in zip(outcomes, statuses, strict=True)}

    async def apply_webhook(self, webhook_id: str, event_type: str, data: dict[str, Any]) -> bool:
        """A verified provider event; False if this webhook id was handled before (redelivery). An event for
        a payment we do not know yet raises Unavailable (503): the provider delivers it again later."""
        async with self.sessionmaker() as session:
            if await session.get(WebhookEvent, webhook_id) is not None:
                return False
            payment = await _payment_of_event(session, data)
        if payment is None:
            raise Unavailable("this payment is not known yet; deliver the event again later",
                              code="payment_unknown")
        if payment.status != "pending":  # settled before (a synchronous answer or another event): note it
            return await self._record_only(webhook_id)
        reference = payment.provider_ref or str(data.get("reference") or "")
        if event_type == "payment.succeeded":
            result = ChargeResult("succeeded", reference)
        else:
            result = ChargeResult("failed", reference, data.get("failure_code") or "declined")
        try:
            await self.apply([(payment.order_id, result)], webhook_id)
        except IntegrityError:  # the same event, delivered twice at once: the other delivery recorded it
            return False
        return True

    async def _record_only(self, webhook_id: str) -> bool:
        async with self.sessionmaker() as session:
            session.add(WebhookEvent(id=webhook_id))
            try:
                await session.commit()
            except IntegrityError:
                return False
        return True


async def _payment_of_event(session: AsyncSession, data: dict[str, Any]) -> Payment | None:
    """By the provider's reference; else by our order id, for an event that overtook the answer carrying the
    reference (the payment row exists before the charge is asked for)."""
    reference, order_id = data.get("reference"), data.get("order_id")
    payment = None
    if isinstance(reference, str) and reference:
        payment = await session.scalar(select(Payment).where(Payment.provider_ref == reference))
    if payment is None and isinstance(order_id, str) and order_id:
        payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
        if payment is not None and payment.provider_ref and payment.provider_ref != reference:
            return None  # an event about another charge of this order: not ours to apply
    return payment


class PaymentCapturer(StreamConsumer):
    """Reads the payments stream (the persister adds one entry per new order, once it is in SQL) and
    captures what it read together; a batch that fails is retried order by order (consumer.py)."""

    group = "payments"

    def __init__(self, service: PaymentService, consumer: str, **kw: Any):
        super().__init__(service.redis, service.redis_keys, consumer, **kw)
        self.service = service

    def shows_of(self, entry: Entry) -> list[str]:
        return sorted({show for order_id in entry[2].get("order_ids", "").split()
                       if (show := show_of_order(order_id))})

    async def streams(self) -> list[str]:
        return [self.service.redis_keys.payments_stream]

    async def handle(self, entries: list[Entry]) -> None:
        await self.service.capture([order_id for _, _, fields in entries for order_id in fields["order_ids"].split()])
