"""Complaints about a paid order, handled in the open: a thread between the buyer and the merchant; the
merchant's first message moves the issue from open to answered; the merchant resolves it with a refund (full
or partial, through the payment provider) or declines it with a reason."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, OrderIssue, OrderIssueMessage, Show, User
from live import policy
from live.auth import Principal
from live.commerce import refunds
from live.commerce.orders import PAID
from live.commerce.providers import PaymentProvider
from live.community import words
from live.errors import Conflict, Forbidden
from live.ids import new_id
from live.lookup import found
from live.schemas.community import ComplaintStats, IssueMessageOut, IssueOut

CLOSED = ("resolved", "declined")
MAX_LISTED = 200


async def open_issue(session: AsyncSession, principal: Principal, order_id: str, kind: str, text: str) -> OrderIssue:
    order = await found(session, Order, order_id, "order")
    if order.buyer_id != principal.user_id:
        raise Forbidden("only the order's buyer may report a problem with it", code="not_buyer")
    if order.status != PAID:
        raise Conflict("only a paid order can have a problem reported", code="order_not_paid")
    show = await session.get(Show, order.show_id)
    assert show is not None  # orders reference their show
    await words.check(session, show.merchant_id, text)
    pending = await session.scalar(select(OrderIssue.id).where(
        OrderIssue.order_id == order.id, OrderIssue.state.not_in(CLOSED)))
    if pending is not None:
        raise Conflict("this order has an open problem report: write in its thread", code="issue_open",
                       issue_id=pending)
    now = datetime.now(UTC)
    issue = OrderIssue(id=new_id("iss"), order_id=order.id, show_id=order.show_id, merchant_id=show.merchant_id,
                       buyer_id=order.buyer_id, kind=kind, state="open", refund_cents=0, created_at=now)
    session.add(issue)
    await session.flush()
    session.add(OrderIssueMessage(id=new_id("imsg"), issue_id=issue.id, author_id=principal.user_id,
                                  author_role="buyer", text=text, created_at=now))
    await session.commit()
    return issue


async def get_issue(session: AsyncSession, principal: Principal, issue_id: str) -> OrderIssue:
    """The buyer or the merchant may see an issue; to anyone else it does not exist."""
    issue = await found(session, OrderIssue, issue_id, "problem report")
    if principal.user_id != issue.buyer_id and not policy.owns(principal, issue.merchant_id):
        raise Forbidden("this problem report belongs to someone else", code="not_party")
    return issue


def _role(principal: Principal, issue: OrderIssue) -> str:
    return "merchant" if policy.owns(principal, issue.merchant_id) else "buyer"


def _merchant_answered(issue: OrderIssue, now: datetime) -> None:
    if issue.first_answer_at is None:
        issue.first_answer_at = now
    if issue.state == "open":
        issue.state = "answered"


def _message(issue: OrderIssue, principal: Principal, text: str, now: datetime) -> OrderIssueMessage:
    return OrderIssueMessage(id=new_id("imsg"), issue_id=issue.id, author_id=principal.user_id,
                             author_role=_role(principal, issue), text=text, created_at=now)


async def add_message(session: AsyncSession, principal: Principal, issue: OrderIssue, text: str) -> OrderIssue:
    if issue.state in CLOSED:
        raise Conflict("this problem report is closed", code="issue_closed")
    await words.check(session, issue.merchant_id, text)
    now = datetime.now(UTC)
    session.add(_message(issue, principal, text, now))
    if _role(principal, issue) == "merchant":
        _merchant_answered(issue, now)
    await session.commit()
    return issue


def _require_merchant(principal: Principal, issue: OrderIssue) -> None:
    if not policy.owns(principal, issue.merchant_id):
        raise Forbidden("only the merchant resolves a problem report", code="not_owner")
    if issue.state in CLOSED:
        raise Conflict("this problem report is closed", code="issue_closed")


async def resolve(session: AsyncSession, provider: PaymentProvider, principal: Principal, issue: OrderIssue,
                  refund_cents: int | None, text: str | None) -> refunds.Refund:
    """Refund through the provider and close the issue, in the refund's one transaction."""
    _require_merchant(principal, issue)

    async def close(tx: AsyncSession, refund: refunds.Refund) -> None:
        now = datetime.now(UTC)
        _merchant_answered(issue, now)
        issue.state, issue.closed_at = "resolved", now
        issue.refund_cents += refund.amount_cents
        tx.add(_message(issue, principal, text or f"Refunded {refund.amount_cents / 100:.2f} {refund.currency}.",
                        now))

    return await refunds.refund_order(session, provider, issue.order_id, refund_cents, also=close)


async def decline(session: AsyncSession, principal: Principal, issue: OrderIssue, reason: str) -> OrderIssue:
    _require_merchant(principal, issue)
    now = datetime.now(UTC)
    _merchant_answered(issue, now)
    issue.state, issue.closed_at, issue.decline_reason = "declined", now, reason
    session.add(_message(issue, principal, reason, now))
    await session.commit()
    return issue


async def views(session: AsyncSession, query: Any) -> list[IssueOut]:
    found = list(await session.scalars(query.limit(MAX_LISTED)))
    if not found:
        return []
    ids = [i.id for i in found]
    messages: dict[str, list[OrderIssueMessage]] = {}
    for m in await session.scalars(select(OrderIssueMessage).where(OrderIssueMessage.issue_id.in_(ids))
                                   .order_by(OrderIssueMessage.created_at, OrderIssueMessage.id)):
        messages.setdefault(m.issue_id, []).append(m)
    people = {m.author_id for ms in messages.values() for m in ms} | {i.buyer_id for i in found}
    names = dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(people)))).all())
    orders = {o.id: o for o in await session.scalars(select(Order).where(Order.id.in_([i.order_id for i in found])))}
    return [
        IssueOut(
            id=i.id, order_id=i.order_id, show_id=i.show_id, buyer_id=i.buyer_id, buyer_name=names.get(i.buyer_id, ""),
            kind=i.kind, state=i.state, amount_cents=orders[i.order_id].price_cents * orders[i.order_id].quantity,
            currency=orders[i.order_id].currency, refund_cents=i.refund_cents, decline_reason=i.decline_reason,
            created_at=i.created_at, first_answer_at=i.first_answer_at, closed_at=i.closed_at,
            messages=[IssueMessageOut(id=m.id, author_role=m.author_role, display_name=names.get(m.author_id, ""),
                                      text=m.text, created_at=m.created_at) for m in messages.get(i.id, [])])
        for i in found
    ]


def of_merchant(merchant_id: str, state: str | None) -> Any:
    query = select(OrderIssue).where(OrderIssue.merchant_id == merchant_id)
    if state:
        query = query.where(OrderIssue.state == state)
    return query.order_by(OrderIssue.created_at.desc(), OrderIssue.id.desc())


def of_buyer(buyer_id: str) -> Any:
    return select(OrderIssue).where(OrderIssue.buyer_id == buyer_id).order_by(OrderIssue.created_at.desc())


def one(issue_id: str) -> Any:
    return select(OrderIssue).where(OrderIssue.id == issue_id)


async def show_stats(session: AsyncSession, show_id: str) -> ComplaintStats:
    """For the show's results: complaints by state, money refunded, median time to the first answer."""
    by_state = dict((await session.execute(select(OrderIssue.state, func.count())
                                           .where(OrderIssue.show_id == show_id).group_by(OrderIssue.state))).all())
    refunded = await session.scalar(select(func.sum(OrderIssue.refund_cents)).where(OrderIssue.show_id == show_id))
    waits = [(answered - created).total_seconds() for created, answered in (await session.execute(
        select(OrderIssue.created_at, OrderIssue.first_answer_at)
        .where(OrderIssue.show_id == show_id, OrderIssue.first_answer_at.is_not(None)))).all()
        if answered is not None]
    counts = {state: int(by_state.get(state, 0)) for state in ("open", "answered", "resolved", "declined")}
    return ComplaintStats(total=sum(counts.values()), **counts, refunded_cents=int(refunded or 0),
                          median_first_answer_seconds=round(statistics.median(waits), 1) if waits else None)
