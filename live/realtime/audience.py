"""What viewers do in the room: chat and react. Both need a signed-in account; in a socket, also having
joined the show."""

from __future__ import annotations

import time

import socketio
from redis.asyncio import Redis

from db.session import Sessionmaker
from live import bans, policy
from live.auth import Principal
from live.community import badges
from live.community.badges import BadgeBook
from live.errors import Conflict, DomainError, Forbidden
from live.realtime import chat, engine, protocol, reactions
from live.realtime.broadcaster import Broadcaster
from live.realtime.chat import BlockedWords
from live.realtime.chat_questions import ChatQuestions
from live.realtime.lineup import LineupCache
from live.realtime.members import Member
from live.realtime.reactions import ReactionCounter
from live.rediskeys import RedisKeys
from live.schemas.room import ChatMessageOut


def in_show(manager: socketio.AsyncManager, member: Member, show_id: str) -> bool:
    """The socket is in the show's room (a ban from any process takes it out)."""
    return member.show_id == show_id and engine.in_room(manager, protocol.NAMESPACE, member.sid,
                                                        protocol.show_room(show_id))


class Audience:
    """Built once per process with what viewers' chat and reactions touch."""

    def __init__(self, sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, manager: socketio.AsyncManager,
                 lineups: LineupCache, blocked: BlockedWords, counter: ReactionCounter, broadcaster: Broadcaster,
                 questions: ChatQuestions):
        self.sessionmaker, self.redis, self.redis_keys, self.manager = sessionmaker, redis, redis_keys, manager
        self.lineups, self.blocked, self.counter = lineups, blocked, counter
        self.broadcaster, self.questions = broadcaster, questions
        self.badges = BadgeBook(sessionmaker)

    def require_joined(self, member: Member, show_id: str) -> Principal:
        principal = member.signed_in()
        if not in_show(self.manager, member, show_id):
            raise Conflict("join the show first", code="not_joined")
        return principal

    async def post_chat(self, principal: Principal, show_id: str, text: str, question: bool = False
                        ) -> ChatMessageOut:
        """Refused, in this order: show over, banned, muted, blocked words, too soon (slow mode). The host and
        the merchant are never muted or slowed down, but the merchant's blocked words apply to everyone. A
        question is also kept as a question about the product on the card (live.community.questions)."""
        show_keys = self.redis_keys.show(show_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(show_keys.room, "rev")
            bans.ask_banned(pipe, show_keys, principal.user_id)
            bans.ask_muted(pipe, show_keys, principal.user_id)
            rev, banned, muted = await pipe.execute()
        lineup = await self.lineups.get(show_id, rev)
        show = lineup.show
        if show.state == "ended":
            raise Conflict("the show has ended", code="show_ended")
        staff = policy.is_staff(principal, show)
        policy.refuse_banned(not staff and banned)
        if not staff and muted:
            raise Forbidden("the host muted you in this show", code="muted")
        chat.check_words(text, await self.blocked.of(show.merchant_id))
        if not staff:
            interval = max(chat.MIN_INTERVAL_SECONDS, show.slow_mode_seconds)
            await chat.take_turn(self.redis, show_keys, principal.user_id, interval)
        place = badges.Place(show.merchant_id, show.id, show.host_id)
        their_badges = await self.badges.of(place, principal.user_id)
        async with self.sessionmaker() as session:
            message = await chat.store(session, self.redis, show_keys, show_id, principal.user_id,
                                       principal.display_name, text, staff, question, their_badges)
        if question:
            await self.questions.keep(principal, lineup, message.id, text)
        await self.broadcaster.chat(message)
        return message

    def react(self, member: Member, show_id: str, kind: str) -> None:
        self.require_joined(member, show_id)
        now = time.time()
        if not reactions.allow(member.reaction_times, now):
            raise DomainError("too many reactions, slow down", code="rate_limited", status=429)
        self.counter.add(show_id, kind, now)
