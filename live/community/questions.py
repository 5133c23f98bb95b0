"""Questions about a product (on its page, or marked in a live show's chat) and their answers. The merchant,
its hosts and viewers who bought the product may answer; each answer is labelled by who gave it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Answer, Product, Question
from live import policy
from live.auth import Principal
from live.community import badges, words
from live.community.reviews import has_bought
from live.errors import Forbidden
from live.ids import new_id
from live.lookup import found
from live.schemas.community import AnswerOut, QuestionOut

MAX_LISTED = 200


async def ask(session: AsyncSession, principal: Principal, merchant_id: str, product_id: str | None, text: str,
              show_id: str | None = None, chat_message_id: str | None = None) -> Question:
    await words.check(session, merchant_id, text)
    question = Question(id=new_id("qst"), product_id=product_id, merchant_id=merchant_id, user_id=principal.user_id,
                        text=text, show_id=show_id, chat_message_id=chat_message_id, created_at=datetime.now(UTC))
    session.add(question)
    await session.commit()
    return question


async def get_question(session: AsyncSession, question_id: str) -> Question:
    return await found(session, Question, question_id, "question")


async def answer_label(session: AsyncSession, principal: Principal, question: Question) -> str:
    if policy.owns(principal, question.merchant_id):
        return "merchant"
    if policy.hosts_for(principal, question.merchant_id):
        return "host"
    if principal.role == "viewer" and question.product_id and await has_bought(
            session, question.product_id, principal.user_id):
        return "buyer"
    raise Forbidden("the merchant, its hosts and buyers of the product may answer", code="not_allowed_to_answer")


async def answer(session: AsyncSession, principal: Principal, question: Question, text: str) -> Answer:
    label = await answer_label(session, principal, question)
    await words.check(session, question.merchant_id, text)
    now = datetime.now(UTC)
    row = Answer(id=new_id("ans"), question_id=question.id, user_id=principal.user_id, label=label, text=text,
                 created_at=now)
    session.add(row)
    if question.answered_at is None:
        question.answered_at = now
    await session.commit()
    return row


def for_product(product_id: str) -> Any:
    """Answered first, then the newest."""
    return (select(Question).where(Question.product_id == product_id)
            .order_by(Question.answered_at.is_(None), Question.created_at.desc(), Question.id.desc()))


def for_merchant(merchant_id: str, unanswered: bool) -> Any:
    query = select(Question).where(Question.merchant_id == merchant_id)
    if unanswered:
        query = query.where(Question.answered_at.is_(None))
    return query.order_by(Question.created_at.desc(), Question.id.desc())


def asked_or_answered_by(user_id: str) -> Any:
    answered = select(Answer.question_id).where(Answer.user_id == user_id)
    return (select(Question).where((Question.user_id == user_id) | Question.id.in_(answered))
            .order_by(Question.created_at.desc(), Question.id.desc()))


async def views(session: AsyncSession, query: Any) -> list[QuestionOut]:
    """Questions with their answers, authors and badges (badges as the question's merchant sees them)."""
    found = list(await session.scalars(query.limit(MAX_LISTED)))
    if not found:
        return []
    answers: dict[str, list[Answer]] = {}
    for row in await session.scalars(
            select(Answer).where(Answer.question_id.in_([q.id for q in found])).order_by(Answer.created_at)):
        answers.setdefault(row.question_id, []).append(row)
    titles = dict((await session.execute(select(Product.id, Product.title).where(
        Product.id.in_({q.product_id for q in found if q.product_id})))).all())
    out = []
    by_merchant: dict[str, list[Question]] = {}
    for q in found:
        by_merchant.setdefault(q.merchant_id, []).append(q)
    people: dict[tuple[str, str], Any] = {}
    for merchant_id, questions in by_merchant.items():
        ids = {q.user_id for q in questions} | {a.user_id for q in questions for a in answers.get(q.id, [])}
        for user_id, author in (await badges.authors(session, badges.Place(merchant_id), ids)).items():
            people[(merchant_id, user_id)] = author
    for q in found:
        out.append(QuestionOut(
            id=q.id, product_id=q.product_id, product_title=titles.get(q.product_id or ""), show_id=q.show_id,
            text=q.text, author=people[(q.merchant_id, q.user_id)], created_at=q.created_at,
            answered_at=q.answered_at,
            answers=[AnswerOut(id=a.id, text=a.text, label=a.label, author=people[(q.merchant_id, a.user_id)],
                               created_at=a.created_at) for a in answers.get(q.id, [])]))
    return out


def one(question_id: str) -> Any:
    return select(Question).where(Question.id == question_id)
