"""Complaints about a paid order: the buyer reports, buyer and merchant write in its thread, the merchant
refunds (through the payment provider) or declines. The buyer hears of each merchant move on their sockets
(the ``order`` event, with ``refunded_cents`` and the ``issue``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, OrderIssue
from live import keys, policy
from live.api.routing import PUBLIC, ApiRouter, Call
from live.commerce.queries import record_from_row
from live.community import complaints
from live.schemas.community import DeclineIn, IssueIn, IssueList, IssueMessageIn, IssueOut, IssueQuery, ResolveIn

router = ApiRouter("community")


async def _view(call: Call[Any, Any], issue_id: str) -> IssueOut:
    async with call.session() as session:
        (view,) = await complaints.views(session, complaints.one(issue_id))
    return view


async def _tell_buyer(call: Call[Any, Any], issue: IssueOut) -> None:
    async with call.session() as session:
        order = await session.get(Order, issue.order_id)
    if order is not None:
        body = {**record_from_row(order).public(), "refunded_cents": order.refunded_cents,
                "issue": {"id": issue.id, "state": issue.state, "refund_cents": issue.refund_cents}}
        await call.app[keys.broadcaster_key].order(body)


async def _after_merchant_move(call: Call[Any, Any], issue: OrderIssue) -> IssueOut:
    view = await _view(call, issue.id)
    if policy.owns(call.user, issue.merchant_id):
        await _tell_buyer(call, view)
    return view


@router.post("/api/orders/{order_id}/issues", summary="Report a problem with a paid order (its buyer)",
             roles=("viewer",), body=IssueIn, response=IssueOut, status=201, errors=(403, 409))
async def open_issue(call: Call[IssueIn, None]) -> IssueOut:
    async with call.session() as session:
        issue = await complaints.open_issue(session, call.user, call.path("order_id"), call.body.kind,
                                            call.body.text)
    return await _view(call, issue.id)


@router.get("/api/order-issues/{issue_id}", summary="A problem report with its thread (buyer or merchant)",
            roles=PUBLIC, response=IssueOut)
async def get_issue(call: Call[None, None]) -> IssueOut:
    async with call.session() as session:
        issue = await complaints.get_issue(session, call.user, call.path("issue_id"))
    return await _view(call, issue.id)


async def _act(call: Call[Any, Any], act: Callable[[AsyncSession, OrderIssue], Awaitable[object]]) -> IssueOut:
    """One move on an issue the caller may see; the buyer hears of the merchant's moves."""
    async with call.session() as session:
        issue = await complaints.get_issue(session, call.user, call.path("issue_id"))
        await act(session, issue)
    return await _after_merchant_move(call, issue)


@router.post("/api/order-issues/{issue_id}/messages", summary="Write in a problem report's thread",
             roles=PUBLIC, body=IssueMessageIn, response=IssueOut, status=201, errors=(403, 409))
async def add_message(call: Call[IssueMessageIn, None]) -> IssueOut:
    return await _act(call, lambda session, issue: complaints.add_message(session, call.user, issue, call.body.text))


@router.post("/api/order-issues/{issue_id}/resolve", summary="Resolve with a refund, full or partial (merchant)",
             roles=("merchant",), body=ResolveIn, response=IssueOut, errors=(403, 409, 422))
async def resolve(call: Call[ResolveIn, None]) -> IssueOut:
    provider = call.app[keys.payment_service_key].provider
    return await _act(call, lambda session, issue: complaints.resolve(
        session, provider, call.user, issue, call.body.refund_cents, call.body.text))


@router.post("/api/order-issues/{issue_id}/decline", summary="Decline with a reason (merchant)",
             roles=("merchant",), body=DeclineIn, response=IssueOut, errors=(403, 409))
async def decline(call: Call[DeclineIn, None]) -> IssueOut:
    return await _act(call, lambda session, issue: complaints.decline(session, call.user, issue, call.body.reason))


@router.get("/api/merchants/me/order-issues", summary="The merchant's complaints inbox, newest first",
            roles=("merchant",), query=IssueQuery, response=IssueList)
async def merchant_issues(call: Call[None, IssueQuery]) -> IssueList:
    assert call.user.merchant_id
    async with call.session() as session:
        return IssueList(issues=await complaints.views(session, complaints.of_merchant(call.user.merchant_id,
                                                                                         call.query.state)))


@router.get("/api/me/order-issues", summary="The problems you reported", roles=PUBLIC, response=IssueList)
async def my_issues(call: Call[None, None]) -> IssueList:
    async with call.session() as session:
        return IssueList(issues=await complaints.views(session, complaints.of_buyer(call.user.user_id)))
