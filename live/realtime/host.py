"""What the host (or the show's merchant) does in the room: push and unpin cards, run flash deals, set slow
mode, remove messages, mute and ban. Each action checks who is asking against the show as SQL has it now,
changes the state, and tells the room. HTTP endpoints and socket events call these same functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import socketio
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Show
from db.session import Sessionmaker
from live.auth import Principal
from live.commerce import sale_windows
from live.realtime import cards, chat, moderation, protocol
from live.realtime.announce import ShowAnnouncer
from live.realtime.broadcaster import Broadcaster
from live.realtime.cards import CardState
from live.rediskeys import RedisKeys
from live.schemas.room import Card, CardIn, ChatSettingsOut, ModerationIn, ModerationOut
from live.shows import lifecycle, lineup, views


async def render_card(redis: Redis, redis_keys: RedisKeys, session: AsyncSession, show: Show, offer: Offer,
                      state: CardState) -> Card:
    remaining = await views.remaining_by_offer(redis, redis_keys, show, [offer])
    (view,) = await views.offer_views(session, [offer], remaining)
    return cards.render(view, state, show.state, remaining[offer.id], datetime.now(UTC))


class HostActions:
    """Built once per process with what the host's actions touch: SQL, the show's Redis keys, the socket
    rooms (a ban takes the viewer out) and the broadcaster."""

    def __init__(self, sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, sio: socketio.AsyncServer,
                 broadcaster: Broadcaster, announcer: ShowAnnouncer):
        self.sessionmaker, self.redis, self.redis_keys, self.sio = sessionmaker, redis, redis_keys, sio
        self.broadcaster, self.announcer = broadcaster, announcer

    async def push_card(self, principal: Principal, show_id: str, data: CardIn) -> Card:
        async with self.sessionmaker() as session:
            show = await lifecycle.staff_show(session, principal, show_id)
            cards.require_live(show)
            offer = await lineup.get_offer(session, show, data.offer_id)
            if data.deal_ends_at is not None:
                await sale_windows.open_deal(session, self.redis, self.redis_keys, show, offer, data.deal_ends_at)
            state = CardState(offer.id, data.pinned, datetime.now(UTC))
            card = await render_card(self.redis, self.redis_keys, session, show, offer, state)
        await cards.save_state(self.redis, self.redis_keys.show(show_id), state)
        await self.broadcaster.card(show_id, card)
        return card

    async def unpin_card(self, principal: Principal, show_id: str) -> None:
        async with self.sessionmaker() as session:
            await lifecycle.staff_show(session, principal, show_id)
        await cards.save_state(self.redis, self.redis_keys.show(show_id), None)
        await self.broadcaster.card(show_id, None)

    async def start_deal(self, principal: Principal, show_id: str, offer_id: str, seconds: int) -> Card:
        """Open the offer's sale window for ``seconds`` and pin its card with the countdown."""
        ends = datetime.now(UTC) + timedelta(seconds=seconds)
        return await self.push_card(principal, show_id, CardIn(offer_id=offer_id, pinned=True, deal_ends_at=ends))

    async def end_deal(self, principal: Principal, show_id: str, offer_id: str) -> Card:
        """Close the offer's sale window now; if its card is up, viewers see the deal is over."""
        show_keys = self.redis_keys.show(show_id)
        async with self.sessionmaker() as session:
            show = await lifecycle.staff_show(session, principal, show_id)
            cards.require_live(show)
            offer = await lineup.get_offer(session, show, offer_id)
            await sale_windows.close_deal(session, self.redis, self.redis_keys, show, offer)
            current = CardState.from_json(await self.redis.hget(show_keys.room, "card"))  # type: ignore[arg-type]
            showing = current is not None and current.offer_id == offer.id
            state = current if current is not None and showing else CardState(offer.id, False, datetime.now(UTC))
            card = await render_card(self.redis, self.redis_keys, session, show, offer, state)
        await cards.bump_rev(self.redis, show_keys)
        if showing:
            await self.broadcaster.card(show_id, card)
        return card

    async def set_slow_mode(self, principal: Principal, show_id: str, seconds: int) -> ChatSettingsOut:
        async with self.sessionmaker() as session:
            show = await lifecycle.staff_show(session, principal, show_id)
            show.slow_mode_seconds = seconds
            await session.commit()
        await self.announcer.announce(show_id)
        return ChatSettingsOut(show_id=show_id, slow_mode_seconds=seconds)

    async def delete_message(self, principal: Principal, show_id: str, message_id: str) -> None:
        async with self.sessionmaker() as session:
            await lifecycle.staff_show(session, principal, show_id)
            show_keys = self.redis_keys.show(show_id)
            await chat.remove(session, self.redis, show_keys, show_id, message_id, principal.user_id)
        await self.broadcaster.chat_removed(show_id, message_id)

    async def moderate(self, principal: Principal, show_id: str, data: ModerationIn) -> ModerationOut:
        show_keys = self.redis_keys.show(show_id)
        async with self.sessionmaker() as session:
            show = await lifecycle.staff_show(session, principal, show_id)
            result = await moderation.apply(session, self.redis, show_keys, show, data.user_id, data.action,
                                            principal.user_id)
        if data.action == "ban":
            # Out of the room in every process: socket.io's manager forwards a leave for a socket it does not have.
            for sid in await self.redis.smembers(show_keys.sockets_of(data.user_id)):
                await self.sio.leave_room(sid, protocol.show_room(show_id), namespace=protocol.NAMESPACE)
            await self.redis.delete(show_keys.sockets_of(data.user_id))
            # Out of the viewer count now; their video: live.media_bans.
            await self.redis.zrem(show_keys.audience, data.user_id)
        await self.broadcaster.moderated(data.user_id, show_id, data.action)
        return result
