"""Every event the room sends, with its room and payload shape in one place.

Two ways out: ``everywhere`` reaches the room's sockets in every process (through the Redis manager), and
``here`` only this process's sockets. The per-process ticker sends stock, viewer counts and reactions
``here``: every process with viewers runs it and reads the same Redis numbers, so each client gets each
update once. A process without sockets (a worker) gets a broadcaster whose ``everywhere`` is a write-only
Redis manager."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import socketio

from live.realtime import protocol as p
from live.realtime.engine import RoomRedisManager, close_pubsub_manager
from live.schemas.room import Card, ChatMessageOut

Emit = Callable[[str, Any, str], Awaitable[None]]  # (event, data, room)


def server_emits(server: socketio.AsyncServer) -> tuple[Emit, Emit]:
    """(everywhere, here) for a process that serves sockets."""

    async def everywhere(event: str, data: Any, room: str) -> None:
        await server.emit(event, data, to=room, namespace=p.NAMESPACE)

    async def here(event: str, data: Any, room: str) -> None:
        await server.emit(event, data, to=room, namespace=p.NAMESPACE, ignore_queue=True)

    return everywhere, here


@asynccontextmanager
async def write_only_broadcaster(redis_url: str, channel: str) -> AsyncIterator[Broadcaster]:
    """For code that runs outside a web process: its events reach the sockets of every server process.
    ``channel`` is ``RedisKeys.socketio_channel`` (it carries the deployment's prefix)."""
    manager = RoomRedisManager(redis_url, channel=channel, write_only=True)

    async def everywhere(event: str, data: Any, room: str) -> None:
        await manager.emit(event, data, namespace=p.NAMESPACE, room=room)

    try:
        yield Broadcaster(everywhere)
    finally:
        await close_pubsub_manager(manager)


class Broadcaster:
    def __init__(self, everywhere: Emit, here: Emit | None = None):
        self.everywhere = everywhere
        self.here = here or everywhere

    async def show(self, show: dict[str, Any]) -> None:
        """The show's state: scheduled/live/ended, ``paused`` while the host's video is off air."""
        await self.everywhere(p.SHOW, {"show": show}, p.show_room(show["id"]))

    async def card(self, show_id: str, card: Card | None) -> None:
        """The card pushed, or ``null`` when the host unpinned it."""
        body = card.model_dump(mode="json") if card else None
        await self.everywhere(p.CARD, {"show_id": show_id, "card": body}, p.show_room(show_id))

    async def chat(self, message: ChatMessageOut) -> None:
        await self.everywhere(p.CHAT, {"message": message.model_dump(mode="json")}, p.show_room(message.show_id))

    async def chat_removed(self, show_id: str, message_id: str) -> None:
        await self.everywhere(p.CHAT_REMOVED, {"show_id": show_id, "message_id": message_id}, p.show_room(show_id))

    async def order(self, order: dict[str, Any]) -> None:
        """An order changed state: only its buyer (all their sockets) hears of it."""
        await self.everywhere(p.ORDER, {"order": order}, p.user_room(str(order["buyer_id"])))

    async def moderated(self, user_id: str, show_id: str, action: str) -> None:
        """Tells the user that the host muted, unmuted, banned or unbanned them."""
        await self.everywhere(p.MODERATED, {"show_id": show_id, "action": action}, p.user_room(user_id))

    async def answering(self, show_id: str, message: dict[str, Any] | None) -> None:
        """The chat question the host is answering now (null: none)."""
        await self.everywhere(p.ANSWERING, {"show_id": show_id, "message": message}, p.show_room(show_id))

    # Sent by each process's ticker to its own sockets.
    async def stock(self, show_id: str, remaining: dict[str, int]) -> None:
        """Remaining units of every offer; only when something changed."""
        await self.here(p.STOCK, {"show_id": show_id, "stock": remaining}, p.show_room(show_id))

    async def viewers(self, show_id: str, count: int) -> None:
        await self.here(p.VIEWERS, {"show_id": show_id, "count": count}, p.show_room(show_id))

    async def reactions(self, show_id: str, second: int, counts: dict[str, int]) -> None:
        """All reactions of one second, summed over every process."""
        await self.here(p.REACTIONS, {"show_id": show_id, "second": second, "counts": counts}, p.show_room(show_id))
