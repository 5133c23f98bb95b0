"""The live room over HTTP: the host's cards, flash deals and chat moderation, chat for integrators without
socket.io, and the merchant's blocked words. The socket events of live/realtime/namespace.py call the same
functions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from live import keys
from live.api.routing import PUBLIC, ApiRouter, Call, Created
from live.auth import Role
from live.realtime.host import HostActions
from live.schemas.room import (
    BlockedWordsIn,
    BlockedWordsOut,
    CardIn,
    CardOut,
    ChatIn,
    ChatMessageOut,
    ChatSettingsIn,
    ChatSettingsOut,
    DealIn,
    ModerationIn,
    ModerationOut,
)
from live.schemas.staff import SalesOut
from live.shows import lifecycle

router = ApiRouter("live room")
STAFF: tuple[Role, ...] = ("merchant", "host")
OWNER: tuple[Role, ...] = ("merchant",)


def _host(call: Call[Any, Any]) -> HostActions:
    return call.app[keys.host_actions_key]


@router.post("/api/shows/{show_id}/cards", summary="Push an offer's card to the viewers (host or merchant)",
             roles=STAFF, body=CardIn, response=CardOut, status=201, errors=(409,))
async def push_card(call: Call[CardIn, None]) -> CardOut:
    return CardOut(card=await _host(call).push_card(call.user, call.path("show_id"), call.body))


@router.delete("/api/shows/{show_id}/cards/current", summary="Unpin the current card (viewers' screens clear it)",
               roles=STAFF, response=CardOut)
async def unpin_card(call: Call[None, None]) -> CardOut:
    await _host(call).unpin_card(call.user, call.path("show_id"))
    return CardOut(card=None)


@router.post("/api/shows/{show_id}/offers/{offer_id}/deal",
             summary="Start a flash deal: the offer is on sale from now for duration_seconds, its card pinned "
             "with a countdown", roles=STAFF, body=DealIn, response=CardOut, errors=(409,))
async def start_deal(call: Call[DealIn, None]) -> CardOut:
    card = await _host(call).start_deal(call.user, call.path("show_id"), call.path("offer_id"),
                                 call.body.duration_seconds)
    return CardOut(card=card)


@router.delete("/api/shows/{show_id}/offers/{offer_id}/deal", summary="End a flash deal now (closes the sale)",
               roles=STAFF, response=CardOut, errors=(409,))
async def end_deal(call: Call[None, None]) -> CardOut:
    card = await _host(call).end_deal(call.user, call.path("show_id"), call.path("offer_id"))
    return CardOut(card=card)


@router.post("/api/shows/{show_id}/chat", summary="Write in the show's chat (for clients without socket.io)",
             roles=PUBLIC, body=ChatIn, response=ChatMessageOut, status=201, errors=(409, 429),
             creates=Created("message_id"))
async def post_chat(call: Call[ChatIn, None]) -> ChatMessageOut:
    return await call.app[keys.audience_key].post_chat(call.user, call.path("show_id"), call.body.text,
                                    call.body.question)


@router.patch("/api/shows/{show_id}/chat", summary="Chat settings: slow mode (host or merchant)", roles=STAFF,
              body=ChatSettingsIn, response=ChatSettingsOut)
async def chat_settings(call: Call[ChatSettingsIn, None]) -> ChatSettingsOut:
    return await _host(call).set_slow_mode(call.user, call.path("show_id"), call.body.slow_mode_seconds)


@router.delete("/api/shows/{show_id}/chat/{message_id}", summary="Remove a message for everyone (host or merchant)",
               roles=STAFF, status=204)
async def delete_message(call: Call[None, None]) -> web.Response:
    await _host(call).delete_message(call.user, call.path("show_id"), call.path("message_id"))
    return web.Response(status=204)


@router.post("/api/shows/{show_id}/moderation", summary="Mute, unmute, ban or unban a viewer in the show",
             roles=STAFF, body=ModerationIn, response=ModerationOut)
async def moderate(call: Call[ModerationIn, None]) -> ModerationOut:
    return await _host(call).moderate(call.user, call.path("show_id"), call.body)


@router.get("/api/merchants/me/blocked-words", summary="Words refused in the chat of the merchant's shows",
            roles=OWNER, response=BlockedWordsOut)
async def get_blocked_words(call: Call[None, None]) -> BlockedWordsOut:
    assert call.user.merchant_id
    return BlockedWordsOut(words=await call.app[keys.blocked_words_key].of(call.user.merchant_id))


@router.route("PUT", "/api/merchants/me/blocked-words", summary="Replace the blocked words (words or phrases, "
              "matched as whole words, case-insensitive)", roles=OWNER, body=BlockedWordsIn, response=BlockedWordsOut)
async def set_blocked_words(call: Call[BlockedWordsIn, None]) -> BlockedWordsOut:
    assert call.user.merchant_id
    return BlockedWordsOut(words=await call.app[keys.blocked_words_key].replace(call.user.merchant_id, call.body.words))


@router.get("/api/shows/{show_id}/sales", summary="Live per-offer counters (sold, reserved, remaining) and the "
            "newest orders (host or merchant; the studio gets the same over its socket)", roles=STAFF,
            response=SalesOut)
async def sales(call: Call[None, None]) -> SalesOut:
    async with call.session() as session:
        show = await lifecycle.staff_show(session, call.user, call.path("show_id"))
    lineup = await call.app[keys.lineups_key].current(show.id)
    return await call.app[keys.staff_feed_key].overview(lineup)
