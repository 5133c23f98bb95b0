"""What viewers do in the room: chat and react. Both need a signed-in account; in a socket, also having
joined the show."""

from __future__ import annotations

import time

from live import bans, policy
from live.auth import Principal
from live.community import badges
from live.errors import Conflict, DomainError, Forbidden
from live.realtime import chat, chat_questions, reactions
from live.realtime.members import Member
from live.realtime.room import Room
from live.schemas.room import ChatMessageOut


def require_joined(room: Room, member: Member, show_id: str) -> Principal:
    principal = member.signed_in()
    if not room.in_show(member, show_id):
        raise Conflict("join the show first", code="not_joined")
    return principal


async def post_chat(room: Room, principal: Principal, show_id: str, text: str, question: bool = False
                    ) -> ChatMessageOut:
    """Refused, in this order: show over, banned, muted, blocked words, too soon (slow mode). The host and the
    merchant are never muted or slowed down, but the merchant's blocked words apply to everyone. A question
    is also kept as a question about the product on the card (live.community.questions)."""
    sk = room.rk.show(show_id)
    async with room.redis.pipeline(transaction=False) as pipe:
        pipe.hget(sk.room, "rev")
        bans.ask_banned(pipe, sk, principal.user_id)
        bans.ask_muted(pipe, sk, principal.user_id)
        rev, banned, muted = await pipe.execute()
    lineup = await room.lineups.get(show_id, rev)
    show = lineup.show
    if show.state == "ended":
        raise Conflict("the show has ended", code="show_ended")
    staff = policy.is_staff(principal, show)
    policy.refuse_banned(not staff and banned)
    if not staff and muted:
        raise Forbidden("the host muted you in this show", code="muted")
    chat.check_words(text, await room.blocked.of(show.merchant_id))
    if not staff:
        await chat.take_turn(room.redis, sk, principal.user_id, max(chat.MIN_INTERVAL_SECONDS, show.slow_mode_seconds))
    place = badges.Place(show.merchant_id, show.id, show.host_id)
    their_badges = await room.badges.of(place, principal.user_id)
    async with room.session() as session:
        message = await chat.store(session, room.redis, sk, show_id, principal.user_id, principal.display_name,
                                   text, staff, question, their_badges)
    if question:
        await chat_questions.keep(room, principal, lineup, message.id, text)
    await room.broadcaster.chat(message)
    return message


def react(room: Room, member: Member, show_id: str, kind: str) -> None:
    require_joined(room, member, show_id)
    now = time.time()
    if not reactions.allow(member.reaction_times, now):
        raise DomainError("too many reactions, slow down", code="rate_limited", status=429)
    room.counter.add(show_id, kind, now)
