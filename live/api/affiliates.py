"""Affiliates: the merchant manages them and pays them; an affiliate reads their links, figures and ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Affiliate, User
from live.api.routing import ApiRouter, Call
from live.reach import affiliates, ledger, payouts, reports
from live.schemas.reach import (
    AffiliateCreate,
    AffiliateCreated,
    AffiliateDashboard,
    AffiliateList,
    AffiliateOut,
    AffiliatePatch,
    CommissionOut,
    Ledger,
    LedgerEntryOut,
    LedgerTotals,
    PayoutsQuery,
)

router = ApiRouter("affiliates")
OWNER = ("merchant",)


def affiliate_out(call: Call[Any, Any], affiliate: Affiliate, user: User, terms: affiliates.Terms) -> AffiliateOut:
    return AffiliateOut(
        id=affiliate.id, code=affiliate.code, merchant_id=affiliate.merchant_id, user_id=user.id,
        display_name=affiliate.display_name, email=user.email, active=affiliate.active,
        commission=CommissionOut(per_new_buyer_cents=terms.per_new_buyer_cents, percent=terms.percent,
                                 effective_at=terms.effective_at),
        link=f"{call.settings.public_url.rstrip('/')}/r/{affiliate.code}", created_at=affiliate.created_at)


async def _out(call: Call[Any, Any], session: AsyncSession, affiliate: Affiliate, user: User) -> AffiliateOut:
    terms = (await affiliates.current_terms(session, [affiliate.id]))[affiliate.id]
    return affiliate_out(call, affiliate, user, terms)


def _hold(call: Call[Any, Any]) -> timedelta:
    return timedelta(days=call.settings.commission_hold_days)


async def _ledger(call: Call[Any, Any], session: AsyncSession, affiliate_id: str) -> Ledger:
    entries = await ledger.entries_of(session, [affiliate_id])
    sums = ledger.totals(entries, datetime.now(UTC), _hold(call))
    return Ledger(entries=[LedgerEntryOut.model_validate(e) for e in entries],
                  totals=LedgerTotals(pending=sums.pending, earned=sums.earned, reversed=sums.reversed))


@router.post("/api/merchants/me/affiliates", summary="Add an affiliate (an account that signs in at /affiliate)",
             roles=OWNER, body=AffiliateCreate, response=AffiliateCreated, status=201, errors=(409,))
async def create_affiliate(call: Call[AffiliateCreate, None]) -> AffiliateCreated:
    assert call.user.merchant_id
    async with call.session() as session:
        affiliate, user = await affiliates.create_affiliate(session, call.user.merchant_id, call.body)
        return AffiliateCreated(affiliate=await _out(call, session, affiliate, user))


@router.get("/api/merchants/me/affiliates", summary="The merchant's affiliates", roles=OWNER, response=AffiliateList)
async def list_affiliates(call: Call[None, None]) -> AffiliateList:
    assert call.user.merchant_id
    async with call.session() as session:
        rows = await affiliates.list_affiliates(session, call.user.merchant_id)
        terms = await affiliates.current_terms(session, [a.id for a, _ in rows])
    return AffiliateList(affiliates=[affiliate_out(call, a, u, terms[a.id]) for a, u in rows])


@router.patch("/api/merchants/me/affiliates/{affiliate_id}",
              summary="Change an affiliate's terms (for new orders only) or deactivate them", roles=OWNER,
              body=AffiliatePatch, response=AffiliateCreated)
async def update_affiliate(call: Call[AffiliatePatch, None]) -> AffiliateCreated:
    async with call.session() as session:
        affiliate, user = await affiliates.get_owned(session, call.user, call.path("affiliate_id"))
        if call.body.commission is not None:
            await affiliates.set_terms(session, affiliate, call.body.commission)
        if call.body.active is False:
            await affiliates.deactivate(session, affiliate)
        return AffiliateCreated(affiliate=await _out(call, session, affiliate, user))


@router.delete("/api/merchants/me/affiliates/{affiliate_id}",
               summary="Deactivate an affiliate (links stop attributing; the ledger stays)",
               roles=OWNER, response=AffiliateCreated)
async def deactivate_affiliate(call: Call[None, None]) -> AffiliateCreated:
    async with call.session() as session:
        affiliate, user = await affiliates.get_owned(session, call.user, call.path("affiliate_id"))
        await affiliates.deactivate(session, affiliate)
        return AffiliateCreated(affiliate=await _out(call, session, affiliate, user))


@router.get("/api/merchants/me/affiliates/{affiliate_id}/ledger", summary="An affiliate's commission ledger",
            roles=OWNER, response=Ledger)
async def affiliate_ledger(call: Call[None, None]) -> Ledger:
    async with call.session() as session:
        affiliate, _ = await affiliates.get_owned(session, call.user, call.path("affiliate_id"))
        return await _ledger(call, session, affiliate.id)


@router.get("/api/merchants/me/affiliates/payouts.csv", summary="What to pay each affiliate: earned, reversed, net",
            roles=OWNER, query=PayoutsQuery, content_type="text/csv")
async def payouts_csv(call: Call[None, PayoutsQuery]) -> web.Response:
    assert call.user.merchant_id
    async with call.session() as session:
        text = await payouts.csv_text(session, call.user.merchant_id, call.query.from_, call.query.to,
                                      datetime.now(UTC), _hold(call))
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="payouts.csv"'})


@router.get("/api/affiliates/me/ledger", summary="The signed-in affiliate's commission ledger",
            roles=("affiliate",), response=Ledger)
async def my_ledger(call: Call[None, None]) -> Ledger:
    async with call.session() as session:
        affiliate, _ = await affiliates.get_mine(session, call.user)
        return await _ledger(call, session, affiliate.id)


@router.get("/api/affiliates/me", summary="The affiliate's page: links, clicks, viewers, buyers, orders, commission",
            roles=("affiliate",), response=AffiliateDashboard)
async def my_dashboard(call: Call[None, None]) -> AffiliateDashboard:
    async with call.session() as session:
        affiliate, user = await affiliates.get_mine(session, call.user)
        out = await _out(call, session, affiliate, user)
        totals = (await _ledger(call, session, affiliate.id)).totals
        return await reports.dashboard(session, call.redis, call.redis_keys, out, totals)
