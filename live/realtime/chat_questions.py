"""Questions asked in a live show's chat: kept as questions about the product on the card (so they reach the
product's Q&A and the dashboard), queued in the studio, and the one the host is answering now highlighted for
every viewer (kept in the room hash, so a join's snapshot has it)."""

from __future__ import annotations

import json

from live.auth import Principal
from live.community import questions
from live.errors import NotFound
from live.realtime import cards, chat
from live.realtime.host import staff_show
from live.realtime.lineup import Lineup
from live.realtime.room import Room
from live.schemas.community import AnsweringOut


async def keep(room: Room, principal: Principal, lineup: Lineup, message_id: str, text: str) -> None:
    state = cards.CardState.from_json(await room.redis.hget(room.rk.show(lineup.show.id).room, "card"))  # type: ignore[arg-type]
    offer = lineup.offer(state.offer_id) if state else None
    async with room.session() as session:
        await questions.ask(session, principal, lineup.show.merchant_id, offer.product_id if offer else None, text,
                            show_id=lineup.show.id, chat_message_id=message_id)


async def set_answering(room: Room, principal: Principal, show_id: str, message_id: str | None) -> AnsweringOut:
    """The host marks a chat message "answering now" (None clears it); every viewer gets ``answering``."""
    async with room.session() as session:
        await staff_show(session, principal, show_id)
    sk = room.rk.show(show_id)
    message = None
    if message_id is not None:
        tail = chat.decode_tail(await room.redis.lrange(sk.chat, 0, chat.TAIL - 1))  # type: ignore[arg-type]
        message = next((m for m in tail if m.get("id") == message_id), None)
        if message is None:
            raise NotFound("no such message among the show's recent chat")
        await room.redis.hset(sk.room, "answering", json.dumps(message))
    else:
        await room.redis.hdel(sk.room, "answering")
    await room.broadcaster.answering(show_id, message)
    return AnsweringOut(show_id=show_id, message=message)
