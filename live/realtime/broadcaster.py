"""Every event the room sends, with its room and payload shape in one place.

Two ways out: ``everywhere`` reaches the room's sockets in every process (through the Redis manager), and
``here`` only this process's sockets. The per-process ticker sends stock, viewer counts and reactions
``here``: every process with viewers runs it and reads the same Redis numbers, so each client gets each
update once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from live.realtime import protocol
from live.realtime.engine import RoomRedisManager
from live.schemas.room import Card, ChatMessageOut

Emit = Callable[[str, Any, str], Awaitable[None]]  # (event, data, room)
EmitEach = Callable[[str, list[tuple[str, Any]]], Awaitable[None]]  # (event, [(room, data), ...])


def server_emits(server: socketio.AsyncServer) -> tuple[Emit, Emit, EmitEach | None]:
    """(everywhere, here, each everywhere) for a process that serves sockets; each everywhere only with the
    Redis manager (one publish for many rooms), else the broadcaster emits room by room."""

    async def everywhere(event: str, data: Any, room: str) -> None:
        await server.emit(event, data, to=room, namespace=protocol.NAMESPACE)

    async def here(event: str, data: Any, room: str) -> None:
        await server.emit(event, data, to=room, namespace=protocol.NAMESPACE, ignore_queue=True)

    manager = server.manager

    async def each(event: str, items: list[tuple[str, Any]]) -> None:
        await manager.emit_each(event, protocol.NAMESPACE, items)

    return everywhere, here, each if isinstance(manager, RoomRedisManager) else None


class Broadcaster:
    def __init__(self, everywhere: Emit, here: Emit | None = None, each: EmitEach | None = None):
        self.everywhere = everywhere
        self.here = here or everywhere
        self.each = each or self._each_by_room

    async def _each_by_room(self, event: str, items: list[tuple[str, Any]]) -> None:
        for room, data in items:
            await self.everywhere(event, data, room)

    async def show(self, show: dict[str, Any]) -> None:
        """The show's state: scheduled/live/ended, ``paused`` while the host's video is off air."""
        await self.everywhere(protocol.SHOW, {"show": show}, protocol.show_room(show["id"]))

    async def card(self, show_id: str, card: Card | None) -> None:
        """The card pushed, or ``null`` when the host unpinned it."""
        body = card.model_dump(mode="json") if card else None
        await self.everywhere(protocol.CARD, {"show_id": show_id, "card": body}, protocol.show_room(show_id))

    async def chat(self, message: ChatMessageOut) -> None:
        await self.everywhere(protocol.CHAT, {"message": message.model_dump(mode="json")},
                              protocol.show_room(message.show_id))

    async def chat_removed(self, show_id: str, message_id: str) -> None:
        await self.everywhere(protocol.CHAT_REMOVED, {"show_id": show_id, "message_id": message_id},
                              protocol.show_room(show_id))

    async def order(self, order: dict[str, Any]) -> None:
        """An order changed state: only its buyer (all their sockets) hears of it."""
        await self.everywhere(protocol.ORDER, {"order": order}, protocol.user_room(str(order["buyer_id"])))

    async def orders(self, orders: list[dict[str, Any]]) -> None:
        """Many orders changed (a batch of the persister): each buyer hears of their own, in one publish."""
        await self.each(protocol.ORDER, [(protocol.user_room(str(o["buyer_id"])), {"order": o}) for o in orders])

    async def moderated(self, user_id: str, show_id: str, action: str) -> None:
        """Tells the user that the host muted, unmuted, banned or unbanned them."""
        await self.everywhere(protocol.MODERATED, {"show_id": show_id, "action": action}, protocol.user_room(user_id))

    async def answering(self, show_id: str, message: dict[str, Any] | None) -> None:
        """The chat question the host is answering now (null: none)."""
        await self.everywhere(protocol.ANSWERING, {"show_id": show_id, "message": message}, protocol.show_room(show_id))

    # To the show's staff only.
    async def staff_orders(self, show_id: str, orders: list[dict[str, Any]]) -> None:
        """Every order change since the last, oldest first, with the buyer's display name."""
        await self.everywhere(protocol.STAFF_ORDERS, {"show_id": show_id, "orders": orders},
                              protocol.staff_room(show_id))

    async def offer_counters(self, show_id: str, counters: dict[str, dict[str, int]]) -> None:
        """offer_id -> {sold, reserved, remaining}, recounted after those orders."""
        await self.everywhere(protocol.OFFER_COUNTERS, {"show_id": show_id, "offers": counters},
                              protocol.staff_room(show_id))

    # Sent by each process's ticker to its own sockets.
    async def stock(self, show_id: str, remaining: dict[str, int]) -> None:
        """Remaining units of every offer; only when something changed."""
        await self.here(protocol.STOCK, {"show_id": show_id, "stock": remaining}, protocol.show_room(show_id))

    async def viewers(self, show_id: str, count: int) -> None:
        await self.here(protocol.VIEWERS, {"show_id": show_id, "count": count}, protocol.show_room(show_id))

    async def reactions(self, show_id: str, second: int, counts: dict[str, int]) -> None:
        """All reactions of one second, summed over every process."""
        await self.here(protocol.REACTIONS, {"show_id": show_id, "second": second, "counts": counts},
                        protocol.show_room(show_id))
