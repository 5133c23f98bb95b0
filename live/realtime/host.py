"""What the host (or the show's merchant) does in the room: push and unpin cards, run flash deals, set slow
mode, remove messages, mute and ban. Each action checks who is asking against the show as SQL has it now,
changes the state, and tells the room. HTTP endpoints and socket events call these same functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Show
from live import policy
from live.auth import Principal
from live.commerce import sale_windows
from live.realtime import cards, chat, moderation
from live.realtime import protocol as p
from live.realtime.cards import CardState
from live.realtime.room import Room, announce_show
from live.schemas.room import Card, CardIn, ChatSettingsOut, ModerationIn, ModerationOut
from live.shows import lifecycle, lineup, views


async def staff_show(session: AsyncSession, principal: Principal, show_id: str) -> Show:
    show = await lifecycle.get_show(session, show_id)
    policy.require_staff(principal, show)
    return show


async def render_card(room: Room, session: AsyncSession, show: Show, offer: Offer, state: CardState) -> Card:
    remaining = await views.remaining_by_offer(room.redis, room.rk, show, [offer])
    (view,) = await views.offer_views(session, [offer], remaining)
    return cards.render(view, state, show.state, remaining[offer.id], datetime.now(UTC))


async def push_card(room: Room, principal: Principal, show_id: str, data: CardIn) -> Card:
    async with room.session() as session:
        show = await staff_show(session, principal, show_id)
        cards.require_live(show)
        offer = await lineup.get_offer(session, show, data.offer_id)
        if data.deal_ends_at is not None:
            await sale_windows.open_deal(session, room.redis, room.rk, show, offer, data.deal_ends_at)
        state = CardState(offer.id, data.pinned, datetime.now(UTC))
        card = await render_card(room, session, show, offer, state)
    await cards.save_state(room.redis, room.rk.show(show_id), state)
    await room.broadcaster.card(show_id, card)
    return card


async def unpin_card(room: Room, principal: Principal, show_id: str) -> None:
    async with room.session() as session:
        await staff_show(session, principal, show_id)
    await cards.save_state(room.redis, room.rk.show(show_id), None)
    await room.broadcaster.card(show_id, None)


async def start_deal(room: Room, principal: Principal, show_id: str, offer_id: str, seconds: int) -> Card:
    """Open the offer's sale window for ``seconds`` and pin its card with the countdown."""
    ends = datetime.now(UTC) + timedelta(seconds=seconds)
    return await push_card(room, principal, show_id, CardIn(offer_id=offer_id, pinned=True, deal_ends_at=ends))


async def end_deal(room: Room, principal: Principal, show_id: str, offer_id: str) -> Card:
    """Close the offer's sale window now; if its card is up, viewers see the deal is over."""
    sk = room.rk.show(show_id)
    async with room.session() as session:
        show = await staff_show(session, principal, show_id)
        cards.require_live(show)
        offer = await lineup.get_offer(session, show, offer_id)
        await sale_windows.close_deal(session, room.redis, room.rk, show, offer)
        current = CardState.from_json(await room.redis.hget(sk.room, "card"))  # type: ignore[arg-type]
        showing = current is not None and current.offer_id == offer.id
        state = current if current is not None and showing else CardState(offer.id, False, datetime.now(UTC))
        card = await render_card(room, session, show, offer, state)
    await cards.bump_rev(room.redis, sk)
    if showing:
        await room.broadcaster.card(show_id, card)
    return card


async def set_slow_mode(room: Room, principal: Principal, show_id: str, seconds: int) -> ChatSettingsOut:
    async with room.session() as session:
        show = await staff_show(session, principal, show_id)
        show.slow_mode_seconds = seconds
        await session.commit()
    await announce_show(room, show_id)
    return ChatSettingsOut(show_id=show_id, slow_mode_seconds=seconds)


async def delete_message(room: Room, principal: Principal, show_id: str, message_id: str) -> None:
    async with room.session() as session:
        await staff_show(session, principal, show_id)
        await chat.remove(session, room.redis, room.rk.show(show_id), show_id, message_id, principal.user_id)
    await room.broadcaster.chat_removed(show_id, message_id)


async def moderate(room: Room, principal: Principal, show_id: str, data: ModerationIn) -> ModerationOut:
    sk = room.rk.show(show_id)
    async with room.session() as session:
        show = await staff_show(session, principal, show_id)
        result = await moderation.apply(session, room.redis, sk, show, data.user_id, data.action, principal.user_id)
    if data.action == "ban":
        # Out of the room in every process: socket.io's manager forwards a leave for a socket it does not have.
        for sid in await room.redis.smembers(sk.sockets_of(data.user_id)):
            await room.sio.leave_room(sid, p.show_room(show_id), namespace=p.NAMESPACE)
        await room.redis.delete(sk.sockets_of(data.user_id))
        await room.redis.zrem(sk.audience, data.user_id)  # out of the viewer count now; video: live.media_bans
    await room.broadcaster.moderated(data.user_id, show_id, data.action)
    return result
