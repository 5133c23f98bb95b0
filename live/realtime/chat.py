"""Chat: the checks a message passes (blocked words, rate limit), where it is kept (SQL for good, the newest 50
in a Redis list for join snapshots) and how a host removes one."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChatMessage, Merchant
from db.session import Sessionmaker
from live.errors import DomainError, Invalid, NotFound
from live.ids import new_id
from live.rediskeys import ShowKeys
from live.schemas.room import ChatMessageOut
from live.wordfilter import find_blocked, normalize_blocked

TAIL = 50
MIN_INTERVAL_SECONDS = 1  # without slow mode a user may still post only one message a second


async def take_turn(redis: Redis, show_keys: ShowKeys, user_id: str, interval_seconds: int) -> None:
    """Rate limit: one message per interval per user and show, across processes (SET NX with a TTL)."""
    key = show_keys.chat_slow(user_id)
    if await redis.set(key, 1, nx=True, px=interval_seconds * 1000):
        return
    wait_ms = max(int(await redis.pttl(key)), 1)
    raise DomainError(f"slow down: you can write again in {wait_ms / 1000:.1f} s", code="slow_mode", status=429,
                      retry_after_ms=wait_ms)


async def store(
    session: AsyncSession, redis: Redis, show_keys: ShowKeys, show_id: str, user_id: str, display_name: str, text: str,
    staff: bool, question: bool = False, badges: list[str] | None = None,
) -> ChatMessageOut:
    message = ChatMessage(id=new_id("msg"), show_id=show_id, user_id=user_id, display_name=display_name,
                          text=text, created_at=datetime.now(UTC))
    session.add(message)
    await session.commit()
    out = ChatMessageOut(id=message.id, show_id=show_id, user_id=user_id, display_name=display_name, text=text,
                         staff=staff, created_at=message.created_at, question=question, badges=badges or [])
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(show_keys.chat, out.model_dump_json())
        pipe.ltrim(show_keys.chat, 0, TAIL - 1)
        await pipe.execute()
    return out


def decode_tail(raw: list[str]) -> list[dict[str, object]]:
    """The newest messages (as LRANGE of the tail list returns them), oldest first."""
    return [json.loads(item) for item in reversed(raw)]


async def remove(session: AsyncSession, redis: Redis, show_keys: ShowKeys, show_id: str, message_id: str,
                 by_user_id: str) -> None:
    result = await session.execute(
        update(ChatMessage)
        .where(ChatMessage.id == message_id, ChatMessage.show_id == show_id, ChatMessage.deleted_at.is_(None))
        .values(deleted_at=datetime.now(UTC), deleted_by=by_user_id)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("no such message in this show")
    await session.commit()
    for raw in await redis.lrange(show_keys.chat, 0, TAIL - 1):
        if json.loads(raw).get("id") == message_id:
            await redis.lrem(show_keys.chat, 0, str(raw))


class BlockedWords:
    """Each merchant's blocked words, read from SQL at most every ``ttl`` seconds per process."""

    def __init__(self, sessionmaker: Sessionmaker, ttl: float = 5.0):
        self.sessionmaker = sessionmaker
        self.ttl = ttl
        self._cache: dict[str, tuple[float, list[str]]] = {}

    async def of(self, merchant_id: str) -> list[str]:
        cached = self._cache.get(merchant_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        async with self.sessionmaker() as session:
            words = await session.scalar(select(Merchant.blocked_words).where(Merchant.id == merchant_id))
        normalized = normalize_blocked(words or [])
        self._cache[merchant_id] = (time.monotonic(), normalized)
        return normalized

    async def replace(self, merchant_id: str, entries: list[str]) -> list[str]:
        words = normalize_blocked(entries)
        async with self.sessionmaker() as session:
            await session.execute(update(Merchant).where(Merchant.id == merchant_id).values(blocked_words=words))
            await session.commit()
        self._cache[merchant_id] = (time.monotonic(), words)
        return words


def check_words(text: str, blocked: list[str]) -> None:
    if find_blocked(text, blocked) is not None:
        raise Invalid("the message contains a word this shop does not allow", code="blocked_words")
