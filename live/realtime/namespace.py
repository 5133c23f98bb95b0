"""Socket event handlers: each parses its payload, finds who is asking, calls one room part's method and shapes
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
from live.realtime import protocol
from live.realtime.audience import Audience
from live.realtime.chat_questions import ChatQuestions
from live.realtime.host import HostActions
from live.realtime.members import Member
from live.realtime.room import RoomDoor

log = logging.getLogger("live.realtime")
Handler = Callable[[Member, Any], Awaitable[dict[str, Any]]]


class RoomEvents:
    """One handler per event a client may send, each given the services it calls."""

    def __init__(self, door: RoomDoor, audience: Audience, host: HostActions, questions: ChatQuestions):
        self.door, self.audience, self.host, self.questions = door, audience, host, questions
        self.handlers: dict[str, Handler] = {
            protocol.JOIN: self.join, protocol.LEAVE: self.leave, protocol.CHAT: self.chat,
            protocol.REACT: self.react, protocol.PUSH_CARD: self.push_card, protocol.UNPIN_CARD: self.unpin_card,
            protocol.START_DEAL: self.start_deal, protocol.END_DEAL: self.end_deal,
            protocol.DELETE_MESSAGE: self.delete_message, protocol.MODERATE: self.moderate,
            protocol.SLOW_MODE: self.slow_mode, protocol.ANSWERING: self.answering,
        }

    async def join(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.JoinIn, data)
        return await self.door.join(member, body.show_id, body.device_id, source_labels(body))

    async def leave(self, member: Member, data: Any) -> dict[str, Any]:
        show_id = protocol.parse(protocol.ShowRef, data).show_id
        if member.show_id == show_id:
            await self.door.leave(member)
        return {"ok": True}

    async def chat(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketChatIn, data)
        principal = self.audience.require_joined(member, body.show_id)
        message = await self.audience.post_chat(principal, body.show_id, body.text, body.question)
        return {"message": message.model_dump(mode="json")}

    async def react(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketReactIn, data)
        self.audience.react(member, body.show_id, body.kind)
        return {"ok": True}

    async def push_card(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketCardIn, data)
        card = await self.host.push_card(member.signed_in(), body.show_id, body)
        return {"card": card.model_dump(mode="json")}

    async def unpin_card(self, member: Member, data: Any) -> dict[str, Any]:
        await self.host.unpin_card(member.signed_in(), protocol.parse(protocol.ShowRef, data).show_id)
        return {"card": None}

    async def start_deal(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketDealIn, data)
        card = await self.host.start_deal(member.signed_in(), body.show_id, body.offer_id, body.duration_seconds)
        return {"card": card.model_dump(mode="json")}

    async def end_deal(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketOfferRef, data)
        card = await self.host.end_deal(member.signed_in(), body.show_id, body.offer_id)
        return {"card": card.model_dump(mode="json")}

    async def delete_message(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketMessageRef, data)
        await self.host.delete_message(member.signed_in(), body.show_id, body.message_id)
        return {"ok": True}

    async def moderate(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketModerationIn, data)
        return (await self.host.moderate(member.signed_in(), body.show_id, body)).model_dump(mode="json")

    async def slow_mode(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketChatSettingsIn, data)
        result = await self.host.set_slow_mode(member.signed_in(), body.show_id, body.slow_mode_seconds)
        return result.model_dump(mode="json")

    async def answering(self, member: Member, data: Any) -> dict[str, Any]:
        body = protocol.parse(protocol.SocketAnsweringIn, data)
        result = await self.questions.set_answering(member.signed_in(), body.show_id, body.message_id)
        return result.model_dump(mode="json")


class ShowNamespace(socketio.AsyncNamespace):
    """Dispatches from ``RoomEvents.handlers`` only: a client cannot reach a method by naming an event after
    it."""

    def __init__(self, door: RoomDoor, events: RoomEvents):
        super().__init__(protocol.NAMESPACE)
        self.door, self.events = door, events

    def _connected(self, sid: str) -> bool:
        return bool(self.server.manager.is_connected(sid, protocol.NAMESPACE))

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # socket.io calls connect before the socket counts as connected, and disconnect after it stopped
        # counting; a connected client sending an event named 'connect' or 'disconnect' is ignored.
        if event == "connect":
            return None if self._connected(args[0]) else await self._connect(*args)
        if event == "disconnect":
            if not self._connected(args[0]):
                await self.door.disconnect(args[0])
            return None
        sid, data = args[0], (args[1] if len(args) > 1 else None)
        handler = self.events.handlers.get(event)
        try:
            if handler is None:
                raise DomainError(f"unknown event '{event}'", code="unknown_event")
            return await handler(self.door.members.get(sid), data)
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
            await self.door.connect(sid, environ, auth)
        except DomainError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message, protocol.error_ack(exc)["error"]) from exc
