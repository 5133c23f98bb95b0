"""Refunding a paid order, fully or in part, through the payment provider. Everything that refunds calls
``refund_order``; its one transaction records the refund on the order and its payment (and whatever else
must change with it, e.g. a complaint's state, through ``also``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, Payment
from live.commerce.orders import PAID
from live.commerce.providers import PaymentProvider
from live.errors import Conflict, Invalid, NotFound

REFUNDABLE = ("succeeded", "partly_refunded")


@dataclass(frozen=True, slots=True)
class Refund:
    order_id: str
    amount_cents: int
    refunded_cents: int  # the order's refunded total after this refund
    paid_cents: int
    currency: str

    @property
    def full(self) -> bool:
        return self.refunded_cents >= self.paid_cents


Also = Callable[[AsyncSession, Refund], Awaitable[None]]


async def refund_order(session: AsyncSession, provider: PaymentProvider, order_id: str,
                       amount_cents: int | None = None, also: Also | None = None) -> Refund:
    """Refund ``amount_cents`` (None: whatever is left) of a paid order and commit.

    The order and payment rows are locked first, so two refunds of one order never give back more than was
    paid. The provider is asked before the commit: if it refuses, nothing is recorded."""
    order = await session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    payment = await session.scalar(select(Payment).where(Payment.order_id == order_id).with_for_update())
    if order is None:
        raise NotFound("no such order")
    if order.status == PAID and payment is not None and payment.status == "refunded":
        raise Conflict("the order is refunded in full already", code="already_refunded")
    if order.status != PAID or payment is None or payment.status not in REFUNDABLE or not payment.provider_ref:
        raise Conflict("only a paid order can be refunded", code="not_refundable")
    left = payment.amount_cents - payment.refunded_cents
    amount = left if amount_cents is None else amount_cents
    if not 1 <= amount <= left:
        raise Invalid(f"a refund is 1 to {left} cents for this order", code="refund_out_of_range", max_cents=left)
    await provider.refund(payment.provider_ref, amount_cents=amount)
    payment.refunded_cents += amount
    payment.status = "refunded" if payment.refunded_cents >= payment.amount_cents else "partly_refunded"
    order.refunded_cents = payment.refunded_cents
    refund = Refund(order.id, amount, payment.refunded_cents, payment.amount_cents, payment.currency)
    if also is not None:
        await also(session, refund)
    await session.commit()
    return refund


async def refunded_by_order(session: AsyncSession, order_ids: list[str]) -> dict[str, int]:
    """What was refunded of each of these orders (absent: nothing)."""
    if not order_ids:
        return {}
    rows = await session.execute(
        select(Order.id, Order.refunded_cents).where(Order.id.in_(order_ids), Order.refunded_cents > 0))
    return {order_id: int(cents) for order_id, cents in rows.all()}
