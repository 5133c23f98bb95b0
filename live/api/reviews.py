"""Reviews from verified buyers, their votes, and the merchant's reply and report. There is deliberately no
endpoint that deletes or hides a review."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Product, Review
from live import keys
from live.api.routing import ApiRouter, Call
from live.community import reviews
from live.schemas.community import (
    MerchantReviewList,
    MerchantReviewOut,
    ReplyIn,
    ReportIn,
    ReviewIn,
    ReviewOut,
    ReviewPage,
    ReviewPatch,
    ReviewQuery,
    VoteIn,
    VoteOut,
)

router = ApiRouter("community")


async def _one(call: Call[Any, Any], review_id: str) -> ReviewOut:
    async with call.session() as session:
        review, product = await reviews.get_review(session, review_id)
        (view,) = await reviews.views(session, product.merchant_id, [review])
    return view


@router.post("/api/products/{product_id}/reviews", summary="Review a product you bought (paid order)",
             roles=("viewer",), body=ReviewIn, response=ReviewOut, status=201, errors=(403, 409, 422))
async def create_review(call: Call[ReviewIn, None]) -> ReviewOut:
    async with call.session() as session:
        product = await reviews.get_product(session, call.path("product_id"))
        review = await reviews.create(session, call.user, product, call.body)
    await call.app[keys.review_changed_key].send(product.id)  # live cards show the new rating
    return await _one(call, review.id)


@router.get("/api/products/{product_id}/reviews", summary="A product's reviews and their summary (public)",
            roles=None, query=ReviewQuery, response=ReviewPage)
async def list_reviews(call: Call[None, ReviewQuery]) -> ReviewPage:
    async with call.session() as session:
        product = await reviews.get_product(session, call.path("product_id"))
        rows, cursor = await reviews.page(session, reviews.of_product(product.id), call.query.sort, call.query.limit,
                                          call.query.cursor)
        return ReviewPage(summary=await reviews.summary(session, product.id),
                          reviews=await reviews.views(session, product.merchant_id, rows), next_cursor=cursor)


@router.patch("/api/reviews/{review_id}", summary="Edit your review (it is marked edited)", roles=("viewer",),
              body=ReviewPatch, response=ReviewOut, errors=(403, 422))
async def edit_review(call: Call[ReviewPatch, None]) -> ReviewOut:
    async with call.session() as session:
        review, product = await reviews.get_review(session, call.path("review_id"))
        await reviews.edit(session, call.user, review, product, call.body)
    await call.app[keys.review_changed_key].send(product.id)
    return await _one(call, review.id)


@router.post("/api/reviews/{review_id}/votes", summary="Vote a review helpful or not (once; not your own)",
             roles=("viewer",), body=VoteIn, response=VoteOut, status=201, errors=(403, 409))
async def vote(call: Call[VoteIn, None]) -> VoteOut:
    async with call.session() as session:
        review, _ = await reviews.get_review(session, call.path("review_id"))
        helpful = await reviews.vote(session, call.user, review, call.body.helpful)
    return VoteOut(review_id=review.id, helpful=helpful)


async def _merchant_act(call: Call[Any, Any], act: Callable[[AsyncSession, Review, Product], Awaitable[object]]
                        ) -> ReviewOut:
    async with call.session() as session:
        review, product = await reviews.get_review(session, call.path("review_id"))
        await act(session, review, product)
    return await _one(call, review.id)


@router.post("/api/reviews/{review_id}/reply", summary="The merchant's one public reply to a review",
             roles=("merchant",), body=ReplyIn, response=ReviewOut, status=201, errors=(403, 409))
async def reply(call: Call[ReplyIn, None]) -> ReviewOut:
    return await _merchant_act(call, lambda session, review, product: reviews.reply(
        session, call.user, review, product, call.body.text))


@router.post("/api/reviews/{review_id}/report", summary="Report an abusive review (it stays public and counts)",
             roles=("merchant",), body=ReportIn, response=ReviewOut, errors=(403,))
async def report(call: Call[ReportIn, None]) -> ReviewOut:
    return await _merchant_act(call, lambda session, review, product: reviews.report(
        session, call.user, review, product, call.body.reason))


@router.get("/api/merchants/me/reviews", summary="Reviews of the merchant's products, newest first",
            roles=("merchant",), query=ReviewQuery, response=MerchantReviewList)
async def merchant_reviews(call: Call[None, ReviewQuery]) -> MerchantReviewList:
    merchant_id = call.user.merchant_id
    assert merchant_id
    async with call.session() as session:
        rows, cursor = await reviews.page(session, reviews.of_merchant(merchant_id), call.query.sort,
                                          call.query.limit, call.query.cursor)
        titles = await reviews.product_titles(session, {r.product_id for r in rows})
        views = await reviews.views(session, merchant_id, rows)
    return MerchantReviewList(
        reviews=[MerchantReviewOut(**v.model_dump(), product_title=titles.get(v.product_id, ""), author_id=r.user_id)
                 for v, r in zip(views, rows, strict=True)],
        next_cursor=cursor)
