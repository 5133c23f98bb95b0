"""Questions asked in a live show's chat: kept as questions about the product on the card (so they reach the
product's Q&A and the dashboard), queued in the studio, and the one the host is answering now highlighted for
every viewer (kept in the room hash, so a join's snapshot has it)."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from db.session import Sessionmaker
from live.auth import Principal
from live.community import questions
from live.errors import NotFound
from live.realtime import cards, chat
from live.realtime.broadcaster import Broadcaster
from live.realtime.lineup import Lineup
from live.rediskeys import RedisKeys
from live.schemas.community import AnsweringOut
from live.shows import lifecycle


class ChatQuestions:
    def __init__(self, sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, broadcaster: Broadcaster):
        self.sessionmaker, self.redis, self.redis_keys, self.broadcaster = sessionmaker, redis, redis_keys, broadcaster

    async def keep(self, principal: Principal, lineup: Lineup, message_id: str, text: str) -> None:
        card = await self.redis.hget(self.redis_keys.show(lineup.show.id).room, "card")
        state = cards.CardState.from_json(card)  # type: ignore[arg-type]
        offer = lineup.offer(state.offer_id) if state else None
        async with self.sessionmaker() as session:
            await questions.ask(session, principal, lineup.show.merchant_id, offer.product_id if offer else None, text,
                                show_id=lineup.show.id, chat_message_id=message_id)

    async def set_answering(self, principal: Principal, show_id: str, message_id: str | None) -> AnsweringOut:
        """The host marks a chat message "answering now" (None clears it); every viewer gets ``answering``."""
        async with self.sessionmaker() as session:
            await lifecycle.staff_show(session, principal, show_id)
        show_keys = self.redis_keys.show(show_id)
        message = None
        if message_id is not None:
            tail = chat.decode_tail(await self.redis.lrange(show_keys.chat, 0, chat.TAIL - 1))  # type: ignore[arg-type]
            message = next((m for m in tail if m.get("id") == message_id), None)
            if message is None:
                raise NotFound("no such message among the show's recent chat")
            await self.redis.hset(show_keys.room, "answering", json.dumps(message))
        else:
            await self.redis.hdel(show_keys.room, "answering")
        await self.broadcaster.answering(show_id, message)
        return AnsweringOut(show_id=show_id, message=message)
