"""Questions and answers about products, and the host's "answering now" in a live show."""

from __future__ import annotations

from typing import Any

from live import keys
from live.api.routing import PUBLIC, ApiRouter, Call
from live.auth import Role
from live.community import questions, reviews
from live.schemas.community import (
    AnswerIn,
    AnsweringIn,
    AnsweringOut,
    MerchantQuestionQuery,
    QuestionIn,
    QuestionList,
    QuestionOut,
)

router = ApiRouter("community")
STAFF: tuple[Role, ...] = ("merchant", "host")


async def _view(call: Call[Any, Any], question_id: str) -> QuestionOut:
    async with call.session() as session:
        (view,) = await questions.views(session, questions.one(question_id))
    return view


@router.post("/api/products/{product_id}/questions", summary="Ask about a product", roles=PUBLIC, body=QuestionIn,
             response=QuestionOut, status=201, errors=(422,))
async def ask(call: Call[QuestionIn, None]) -> QuestionOut:
    async with call.session() as session:
        product = await reviews.get_product(session, call.path("product_id"))
        question = await questions.ask(session, call.user, product.merchant_id, product.id, call.body.text)
    return await _view(call, question.id)


@router.get("/api/products/{product_id}/questions", summary="A product's questions, answered first (public)",
            roles=None, response=QuestionList)
async def product_questions(call: Call[None, None]) -> QuestionList:
    async with call.session() as session:
        product = await reviews.get_product(session, call.path("product_id"))
        return QuestionList(questions=await questions.views(session, questions.for_product(product.id)))


@router.post("/api/questions/{question_id}/answers",
             summary="Answer a question (the merchant, its hosts, or a buyer of the product)", roles=PUBLIC,
             body=AnswerIn, response=QuestionOut, status=201, errors=(403, 422))
async def answer(call: Call[AnswerIn, None]) -> QuestionOut:
    async with call.session() as session:
        question = await questions.get_question(session, call.path("question_id"))
        await questions.answer(session, call.user, question, call.body.text)
    return await _view(call, question.id)


@router.get("/api/merchants/me/questions", summary="Questions about the merchant's products (and from its shows)",
            roles=("merchant", "host"), query=MerchantQuestionQuery, response=QuestionList)
async def merchant_questions(call: Call[None, MerchantQuestionQuery]) -> QuestionList:
    assert call.user.merchant_id
    async with call.session() as session:
        found = await questions.views(session, questions.for_merchant(call.user.merchant_id, call.query.unanswered))
    return QuestionList(questions=found)


@router.get("/api/me/questions", summary="The questions you asked or answered", roles=PUBLIC,
            response=QuestionList)
async def my_questions(call: Call[None, None]) -> QuestionList:
    async with call.session() as session:
        return QuestionList(questions=await questions.views(session, questions.asked_or_answered_by(call.user.user_id)))


@router.post("/api/shows/{show_id}/answering", summary='Mark a chat question "answering now" (host or merchant; '
             "null clears it): every viewer sees it highlighted", roles=STAFF, body=AnsweringIn,
             response=AnsweringOut, errors=(404,))
async def answering(call: Call[AnsweringIn, None]) -> AnsweringOut:
    return await call.app[keys.chat_questions_key].set_answering(call.user, call.path("show_id"),
                                              call.body.message_id)
