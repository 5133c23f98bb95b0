"""Expert customers (named by the merchant or earned), the thresholds for earning it, and the public
rankings of a merchant's products."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from live import accounts
from live.api.routing import ApiRouter, Call
from live.auth import Role
from live.community import experts, rankings
from live.schemas.community import (
    CommunitySettingsIn,
    CommunitySettingsOut,
    ExpertList,
    ExpertOut,
    RankingOut,
    RankingQuery,
)

router = ApiRouter("community")
OWNER: tuple[Role, ...] = ("merchant",)


async def _list(call: Call[Any, Any]) -> ExpertList:
    assert call.user.merchant_id
    async with call.session() as session:
        found = await experts.list_experts(session, call.user.merchant_id)
    return ExpertList(experts=[
        ExpertOut(user_id=user.id, display_name=user.display_name, source=source,
                  paid_orders=orders, helpful_votes=votes)
        for user, source, orders, votes in found])


@router.get("/api/merchants/me/experts", summary="The merchant's expert customers", roles=OWNER,
            response=ExpertList)
async def list_experts(call: Call[None, None]) -> ExpertList:
    return await _list(call)


@router.route("PUT", "/api/merchants/me/experts/{user_id}", summary="Name a customer an expert", roles=OWNER,
              response=ExpertList, errors=(404,))
async def name_expert(call: Call[None, None]) -> ExpertList:
    assert call.user.merchant_id
    async with call.session() as session:
        await experts.decide(session, call.user.merchant_id, call.path("user_id"), "named")
    return await _list(call)


@router.delete("/api/merchants/me/experts/{user_id}", summary="Take a customer's expert badge away (also an "
               "earned one)", roles=OWNER, status=204, errors=(404,))
async def revoke_expert(call: Call[None, None]) -> web.Response:
    assert call.user.merchant_id
    async with call.session() as session:
        await experts.decide(session, call.user.merchant_id, call.path("user_id"), "revoked")
    return web.Response(status=204)


@router.get("/api/merchants/me/community-settings", summary="What makes a customer an expert", roles=OWNER,
            response=CommunitySettingsOut)
async def get_settings(call: Call[None, None]) -> CommunitySettingsOut:
    assert call.user.merchant_id
    async with call.session() as session:
        orders, helpful = await experts.thresholds(session, call.user.merchant_id)
    return CommunitySettingsOut(expert_min_orders=orders, expert_min_helpful=helpful)


@router.route("PUT", "/api/merchants/me/community-settings", summary="Change what makes a customer an expert",
              roles=OWNER, body=CommunitySettingsIn, response=CommunitySettingsOut)
async def put_settings(call: Call[CommunitySettingsIn, None]) -> CommunitySettingsOut:
    assert call.user.merchant_id
    async with call.session() as session:
        await experts.set_thresholds(session, call.user.merchant_id, call.body.expert_min_orders,
                                     call.body.expert_min_helpful)
    return CommunitySettingsOut(**call.body.model_dump())


@router.get("/api/merchants/{merchant_id}/rankings", summary="A merchant's top products (public): by rating "
            "(Bayesian average), sales or number of reviews", roles=None, query=RankingQuery, response=RankingOut)
async def rankings_of(call: Call[None, RankingQuery]) -> RankingOut:
    merchant_id = call.path("merchant_id")
    async with call.session() as session:
        await accounts.merchant_name(session, merchant_id)  # 404 for an unknown merchant
        found = await rankings.rank(session, merchant_id, call.query.by, call.query.limit)
    return RankingOut(by=call.query.by, products=found)
