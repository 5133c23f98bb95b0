"""The commission ledger: what each affiliate earned on the orders they brought, and what refunds took back.

Rounding (money is integer minor units): a percent entry is the order amount times the percent, rounded
down to the cent (the affiliate never gets a fraction the merchant did not make). A reversal takes back the
order's commission in proportion to the refunded share of the order, rounded down as well, computed on the
running total of the order's refunds: refunds in parts reverse exactly what one refund of the same sum
would, and a full refund reverses every cent.

Entries are written in the caller's transaction (the one that marks the order paid, or refunds it), so an
order is never paid without its commission or refunded without its reversal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Affiliate, CommissionEntry, Order, Show, utcnow
from db.session import upsert_insert
from live.commerce.orders import PAID
from live.ids import new_id
from live.reach.affiliates import terms_at

PERCENT, LEAD, REVERSAL = "percent", "lead", "reversal"
BASIS = 10_000  # basis points in a whole


def percent_commission(amount_cents: int, percent_bp: int) -> int:
    return amount_cents * percent_bp // BASIS


def reversal_due(commission_cents: int, reversed_cents: int, order_cents: int, refunded_total_cents: int) -> int:
    """What a refund takes back now, given the order's commission, what was already taken back, and the
    running total of its refunds."""
    if order_cents <= 0:
        return 0
    share = min(refunded_total_cents, order_cents)
    return max(commission_cents * share // order_cents - reversed_cents, 0)


async def _earlier_paid(session: AsyncSession, merchant_id: str, order: Order) -> bool:
    """The buyer had a paid order with this merchant placed before this one (so this one brings no lead)."""
    found = await session.scalar(
        select(Order.id).join(Show, Show.id == Order.show_id)
        .where(Show.merchant_id == merchant_id, Order.buyer_id == order.buyer_id, Order.status == PAID,
               Order.id != order.id,
               or_(Order.created_at < order.created_at, and_(Order.created_at == order.created_at,
                                                             Order.id < order.id)))
        .limit(1))
    return found is not None


def _entry(affiliate: Affiliate, order: Order, kind: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {"id": new_id("com"), "affiliate_id": affiliate.id, "merchant_id": affiliate.merchant_id,
            "order_id": order.id, "kind": kind, "amount_cents": amount, "currency": order.currency,
            "refunded_cents": 0, "entry_key": None, "lead_key": None, "created_at": utcnow(), **extra}


async def record_paid(session: AsyncSession, order_ids: Iterable[str]) -> None:
    """Commission for the attributed orders among ``order_ids`` that are paid: percent by the terms in effect
    when the order was placed, plus the lead fee on the buyer's first paid order with the merchant. An
    affiliate's own orders earn nothing. Idempotent: a redelivered batch adds nothing."""
    ids = list(order_ids)
    if not ids:
        return
    rows = (await session.execute(
        select(Order, Affiliate).join(Affiliate, Affiliate.id == Order.affiliate_id)
        .where(Order.id.in_(ids), Order.status == PAID).order_by(Order.created_at, Order.id))).all()
    entries: list[dict[str, Any]] = []
    for order, affiliate in rows:
        if order.buyer_id == affiliate.user_id:
            continue  # self-referral
        terms = await terms_at(session, affiliate.id, order.created_at)
        if terms is None:
            continue
        percent = percent_commission(order.price_cents * order.quantity, terms.percent_bp)
        if percent > 0:
            entries.append(_entry(affiliate, order, PERCENT, percent, entry_key=f"{order.id}:{PERCENT}"))
        if terms.per_new_buyer_cents > 0 and not await _earlier_paid(session, affiliate.merchant_id, order):
            entries.append(_entry(affiliate, order, LEAD, terms.per_new_buyer_cents, entry_key=f"{order.id}:{LEAD}",
                                  lead_key=f"{affiliate.merchant_id}:{order.buyer_id}"))
    for entry in entries:  # one by one: a lead already given to this buyer conflicts alone
        insert = upsert_insert(session.get_bind().dialect.name)(CommissionEntry).values(**entry)
        await session.execute(insert.on_conflict_do_nothing())


async def record_reversal(session: AsyncSession, *, order_id: str, refunded_cents: int) -> None:
    """A refund of ``refunded_cents`` of the order: reverse its commission proportionally (see the module's
    rounding). Writes in the caller's transaction; an order without commission gets nothing."""
    if refunded_cents <= 0:
        return
    entries = list(await session.scalars(select(CommissionEntry).where(CommissionEntry.order_id == order_id)))
    earned = [e for e in entries if e.kind != REVERSAL]
    order = await session.get(Order, order_id)
    if not earned or order is None:
        return
    reversals = [e for e in entries if e.kind == REVERSAL]
    refunded_total = sum(e.refunded_cents for e in reversals) + refunded_cents
    due = reversal_due(sum(e.amount_cents for e in earned), -sum(e.amount_cents for e in reversals),
                       order.price_cents * order.quantity, refunded_total)
    first = earned[0]
    session.add(CommissionEntry(
        id=new_id("com"), affiliate_id=first.affiliate_id, merchant_id=first.merchant_id, order_id=order_id,
        kind=REVERSAL, amount_cents=-due, currency=first.currency, refunded_cents=refunded_cents))
    await session.flush()


@dataclass(frozen=True, slots=True)
class Totals:
    pending: int = 0
    earned: int = 0
    reversed: int = 0

    @property
    def net(self) -> int:
        return self.earned - self.reversed


def totals(entries: Sequence[CommissionEntry], now: datetime, hold: timedelta) -> Totals:
    """Pending: positive entries younger than the hold period (refunds may still come); earned: older ones;
    reversed: what reversals took back, as a positive amount."""
    pending = sum(e.amount_cents for e in entries if e.amount_cents > 0 and e.created_at > now - hold)
    earned = sum(e.amount_cents for e in entries if e.amount_cents > 0 and e.created_at <= now - hold)
    return Totals(pending, earned, -sum(e.amount_cents for e in entries if e.amount_cents < 0))


async def entries_of(session: AsyncSession, affiliate_ids: Sequence[str], start: datetime | None = None,
                     end: datetime | None = None) -> list[CommissionEntry]:
    query = select(CommissionEntry).where(CommissionEntry.affiliate_id.in_(affiliate_ids))
    if start is not None:
        query = query.where(CommissionEntry.created_at >= start)
    if end is not None:
        query = query.where(CommissionEntry.created_at < end)
    return list(await session.scalars(query.order_by(CommissionEntry.created_at, CommissionEntry.id)))
