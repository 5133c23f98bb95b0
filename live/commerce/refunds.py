"""Refunding a paid order, fully or in part, through the payment provider. Everything that refunds calls
``refund_order``; its one transaction records the refund on the order and its payment, reverses the affiliate's
commission on it, and whatever else must change with it (a complaint's state, through ``also``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, Payment
from live.commerce.orders import PAID
from live.commerce.providers import PaymentProvider
from live.errors import Conflict, Invalid, NotFound
from live.reach import ledger

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

    The order and payment rows are locked (PostgreSQL) and the payment's refunded total moves by
    compare-and-set, so two refunds of one order never give back more than was paid. The provider is asked
    before the commit: if it refuses, nothing is recorded; if the commit failed after it agreed, the money
    would be back with the buyer but unrecorded (the provider's own record shows it)."""
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
    total = payment.refunded_cents + amount
    # Compare-and-set before the money moves: of two refunds racing (SQLite has no row locks), one wins.
    claimed = await session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.refunded_cents == payment.refunded_cents)
        .values(refunded_cents=total, status="refunded" if total >= payment.amount_cents else "partly_refunded"))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise Conflict("another refund of this order was made meanwhile: reload and try again", code="refund_conflict")
    await provider.refund(payment.provider_ref, amount_cents=amount)
    await session.execute(update(Order).where(Order.id == order.id).values(refunded_cents=total))
    refund = Refund(order.id, amount, total, payment.amount_cents, payment.currency)
    await ledger.record_reversal(session, order_id=order.id, refunded_cents=amount)  # the affiliate's share
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
