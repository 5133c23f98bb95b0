"""Capturing payments off the tap path, and applying the provider's answers (synchronous or by webhook).

paid: the reservation becomes an order to ship. failed: the units go back and the buyer's limit frees.
A success that arrives after the reservation expired is refunded, never double-sold.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from db.models import Payment, User, WebhookEvent
from db.session import Sessionmaker
from live.commerce import orders
from live.commerce.consumer import Entry, StreamConsumer
from live.commerce.providers import ChargeResult, PaymentProvider
from live.ids import new_id, show_of_order
from live.rediskeys import RedisKeys

log = logging.getLogger("live.commerce.payments")


class PaymentService:
    def __init__(self, redis: Redis, rk: RedisKeys, sessionmaker: Sessionmaker, provider: PaymentProvider):
        self.redis = redis
        self.rk = rk
        self.sessionmaker = sessionmaker
        self.provider = provider

    async def capture(self, order_id: str) -> None:
        """Charge the buyer's saved method for a reserved order, once (idempotent by order id)."""
        show_id = show_of_order(order_id)
        order = await orders.get_live_order(self.redis, self.rk.show(show_id), order_id) if show_id else None
        if order is None or order.status != orders.RESERVED:
            return
        async with self.sessionmaker() as session:
            payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
            if payment is not None and (payment.status != "pending" or payment.provider_ref):
                return  # already charged, or waiting for the provider's webhook
            method = await session.scalar(select(User.payment_method).where(User.id == order.buyer_id))
            if payment is None:
                payment = Payment(
                    id=new_id("pay"), order_id=order_id, provider=self.provider.name, method=method or "",
                    amount_cents=order.amount_cents, currency=order.currency, status="pending",
                )
                session.add(payment)
                try:
                    await session.commit()
                except IntegrityError:  # another worker got here first
                    return
        if not method:
            result = ChargeResult("failed", "", "payment_method_missing")
        else:
            result = await self.provider.charge(
                order_id=order_id, amount_cents=order.amount_cents, currency=order.currency, method=method
            )
        await self.apply(order_id, result)

    async def apply(self, order_id: str, result: ChargeResult) -> str:
        """Record the provider's answer and move the order. Returns the payment's status."""
        show_id = show_of_order(order_id)
        if show_id is None:
            return "unknown"
        sk = self.rk.show(show_id)
        status = "pending"
        if result.status == "succeeded":
            order_status, _ = await orders.settle(self.redis, sk, order_id)
            if order_status == orders.PAID:
                status = "succeeded"
            else:  # the reservation lapsed before the money arrived: give it back
                await self.provider.refund(result.reference)
                status = "refunded"
        elif result.status == "failed":
            await orders.release(self.redis, sk, order_id, orders.PAYMENT_FAILED, result.failure_code or "declined")
            status = "failed"
        async with self.sessionmaker() as session:
            await session.execute(
                update(Payment)
                .where(Payment.order_id == order_id, Payment.status == "pending")
                .values(status=status, provider_ref=result.reference or None, failure_code=result.failure_code)
            )
            await session.commit()
        return status

    async def apply_webhook(self, webhook_id: str, event_type: str, data: dict[str, Any]) -> bool:
        """A verified provider event; False if this webhook id was handled before (redelivery)."""
        async with self.sessionmaker() as session:
            session.add(WebhookEvent(id=webhook_id))
            try:
                await session.commit()
            except IntegrityError:
                return False
            payment = await session.scalar(select(Payment).where(Payment.provider_ref == data.get("reference")))
        if payment is None or payment.status != "pending":
            return True
        if event_type == "payment.succeeded":
            result = ChargeResult("succeeded", payment.provider_ref or "")
        else:
            result = ChargeResult("failed", payment.provider_ref or "", data.get("failure_code") or "declined")
        await self.apply(payment.order_id, result)
        return True


class PaymentCapturer(StreamConsumer):
    """Reads the payments stream (fed by the persister once an order is in SQL) and captures each order."""

    group = "payments"

    def __init__(self, service: PaymentService, consumer: str, concurrency: int = 32, **kw: Any):
        super().__init__(service.redis, consumer, **kw)
        self.service = service
        self._slots = asyncio.Semaphore(concurrency)

    async def streams(self) -> list[str]:
        return [self.service.rk.payments_stream]

    async def handle(self, entries: list[Entry]) -> None:
        async def one(order_id: str) -> None:
            async with self._slots:
                await self.service.capture(order_id)

        await asyncio.gather(*(one(fields["order_id"]) for _, _, fields in entries))
