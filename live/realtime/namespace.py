"""Socket event handlers: each parses its payload, finds who is asking, calls one room function and shapes
the acknowledgement. A refused or malformed event gets ``{"error": {"code", "message"}}`` and changes
nothing; no event raises into socket.io."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from db.outage import is_outage
from live.errors import DomainError, database_unavailable
from live.reach.attribution import source_labels
from live.realtime import audience, chat_questions, host, protocol
from live.realtime.members import Member
from live.realtime.room import Room, connect, disconnect, join, leave

log = logging.getLogger("live.realtime")
Handler = Callable[[Room, Member, Any], Awaitable[dict[str, Any]]]


async def _join(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.JoinIn, data)
    return await join(room, member, body.show_id, body.device_id, source_labels(body))


async def _leave(room: Room, member: Member, data: Any) -> dict[str, Any]:
    show_id = protocol.parse(protocol.ShowRef, data).show_id
    if member.show_id == show_id:
        await leave(room, member)
    return {"ok": True}


async def _chat(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketChatIn, data)
    principal = audience.require_joined(room, member, body.show_id)
    message = await audience.post_chat(room, principal, body.show_id, body.text, body.question)
    return {"message": message.model_dump(mode="json")}


async def _react(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketReactIn, data)
    audience.react(room, member, body.show_id, body.kind)
    return {"ok": True}


async def _push_card(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketCardIn, data)
    card = await host.push_card(room, member.signed_in(), body.show_id, body)
    return {"card": card.model_dump(mode="json")}


async def _unpin_card(room: Room, member: Member, data: Any) -> dict[str, Any]:
    await host.unpin_card(room, member.signed_in(), protocol.parse(protocol.ShowRef, data).show_id)
    return {"card": None}


async def _start_deal(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketDealIn, data)
    card = await host.start_deal(room, member.signed_in(), body.show_id, body.offer_id, body.duration_seconds)
    return {"card": card.model_dump(mode="json")}


async def _end_deal(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketOfferRef, data)
    card = await host.end_deal(room, member.signed_in(), body.show_id, body.offer_id)
    return {"card": card.model_dump(mode="json")}


async def _delete_message(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketMessageRef, data)
    await host.delete_message(room, member.signed_in(), body.show_id, body.message_id)
    return {"ok": True}


async def _moderate(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketModerationIn, data)
    return (await host.moderate(room, member.signed_in(), body.show_id, body)).model_dump(mode="json")


async def _slow_mode(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketChatSettingsIn, data)
    result = await host.set_slow_mode(room, member.signed_in(), body.show_id, body.slow_mode_seconds)
    return result.model_dump(mode="json")


async def _answering(room: Room, member: Member, data: Any) -> dict[str, Any]:
    body = protocol.parse(protocol.SocketAnsweringIn, data)
    result = await chat_questions.set_answering(room, member.signed_in(), body.show_id, body.message_id)
    return result.model_dump(mode="json")


HANDLERS: dict[str, Handler] = {
    protocol.JOIN: _join, protocol.LEAVE: _leave, protocol.CHAT: _chat, protocol.REACT: _react,
    protocol.PUSH_CARD: _push_card, protocol.UNPIN_CARD: _unpin_card, protocol.START_DEAL: _start_deal,
    protocol.END_DEAL: _end_deal, protocol.DELETE_MESSAGE: _delete_message, protocol.MODERATE: _moderate,
    protocol.SLOW_MODE: _slow_mode, protocol.ANSWERING: _answering,
}


class ShowNamespace(socketio.AsyncNamespace):
    """Dispatches from ``HANDLERS`` only: a client cannot reach a method by naming an event after it."""

    def __init__(self, room: Room):
        super().__init__(protocol.NAMESPACE)
        self.room = room

    def _connected(self, sid: str) -> bool:
        return bool(self.server.manager.is_connected(sid, protocol.NAMESPACE))

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # socket.io calls connect before the socket counts as connected, and disconnect after it stopped
        # counting; a connected client sending an event named 'connect' or 'disconnect' is ignored.
        if event == "connect":
            return None if self._connected(args[0]) else await self._connect(*args)
        if event == "disconnect":
            if not self._connected(args[0]):
                await disconnect(self.room, args[0])
            return None
        sid, data = args[0], (args[1] if len(args) > 1 else None)
        handler = HANDLERS.get(event)
        try:
            if handler is None:
                raise DomainError(f"unknown event '{event}'", code="unknown_event")
            return await handler(self.room, self.room.members.get(sid), data)
        except DomainError as exc:
            return protocol.error_ack(exc)
        except Exception as exc:
            if is_outage(exc):
                log.warning("socket event failed: database unavailable", extra={"event": event})
                return protocol.error_ack(database_unavailable())
            log.exception("socket event failed", extra={"event": event})
            return protocol.error_ack(DomainError("internal error", code="internal", status=500))

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            await connect(self.room, sid, environ, auth)
        except DomainError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message, protocol.error_ack(exc)["error"]) from exc
