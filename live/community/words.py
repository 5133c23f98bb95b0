"""Reviews, questions, answers and complaint messages pass the merchant's blocked words, as chat does."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Merchant
from live.errors import Invalid
from live.wordfilter import find_blocked, normalize_blocked


async def check(session: AsyncSession, merchant_id: str, *texts: str | None) -> None:
    words = await session.scalar(select(Merchant.blocked_words).where(Merchant.id == merchant_id))
    blocked = normalize_blocked(words or [])
    if any(text and find_blocked(text, blocked) is not None for text in texts):
        raise Invalid("the text contains a word this shop does not allow", code="blocked_words")
