"""The python-socketio / python-engineio internals the room's broadcast path relies on, all in this module and
pinned by tests/realtime/test_engine.py (written against python-socketio 5.18 and python-engineio 4.15).

Why: python-socketio's room emit encodes the packet once but then creates one asyncio task per recipient,
and each task puts the packet on the socket's queue, which wakes the socket's writer task, which writes the
frame: two task steps per recipient, so the event loop's cost of one card grows with every viewer.

What this does instead: the websocket driver below is engine.io's aiohttp driver with two changes. It turns
off per-message deflate (a fan-out would otherwise compress the same JSON once per socket), and it records
each socket's aiohttp ``WebSocketResponse`` so that ``deliver`` can write an already-encoded frame straight
to it, in a plain loop, when that socket's own writer is idle (nothing queued, not in the middle of a send,
the transport's buffer empty). Otherwise the packet goes on the socket's queue as before, so the order of
frames on one socket never changes and a slow client still gets engine.io's flow control.

Every other packet to one socket (an acknowledgement, the join snapshot) takes the same direct write when the
socket is idle, through ``RoomEngineServer.send_packet``.

Internals used: socket.io's ``AsyncServer._engineio_server_class``; engine.io's ``AsyncServer._async``
(the driver table, its 'websocket' entry replaced per server instance), the driver's constructor
``(handler, server)`` where ``handler`` is the bound ``AsyncSocket._websocket_handler``,
``AsyncServer.sockets``, ``AsyncSocket.queue`` / ``.upgraded`` / ``.closed`` / ``.closing``; socket.io's
``BaseManager.rooms`` (namespace -> room -> sid -> eio sid), the order of ``AsyncPubSubManager.emit`` ->
``_handle_emit`` -> ``super().emit`` (``_handle_emit`` also unpacks ``emit_each``'s one message for many
rooms), the pub/sub message's fields, its ``_publish`` hook and its ``thread`` / ``redis`` / ``pubsub``
attributes. A direct write skips ``AsyncSocket.send``'s ping-timeout check; engine.io's service task still
closes sockets that stopped answering pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Collection, Iterable
from typing import Any

import engineio
import socketio
from aiohttp import WSMsgType, web
from engineio import packet as eio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from live.background import stop_tasks
from live.redis_clients import make_redis

log = logging.getLogger("live.realtime")
ENGINEIO_MESSAGE = "4"


class DirectWebSocket:
    """engine.io's aiohttp websocket driver, without deflate, exposing its connection to ``deliver``."""

    def __init__(self, registry: dict[str, DirectWebSocket], handler: Any, server: engineio.AsyncServer):
        self.registry = registry
        self.handler = handler
        self.server = server
        self.socket = handler.__self__  # the engine.io AsyncSocket this connection belongs to
        self.ws: web.WebSocketResponse | None = None
        self.transport: asyncio.BaseTransport | None = None
        self.busy = False  # the socket's writer task is inside a send (possibly waiting for the buffer)

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        self.ws = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self.ws.prepare(request)
        self.transport = request.transport
        self.registry[self.socket.sid] = self
        try:
            await self.handler(self)
        finally:
            if self.registry.get(self.socket.sid) is self:
                del self.registry[self.socket.sid]
        return self.ws

    async def close(self) -> None:
        assert self.ws is not None
        await self.ws.close()

    async def send(self, message: str | bytes) -> None:
        """Called by the socket's writer task only."""
        assert self.ws is not None
        self.busy = True
        try:
            if isinstance(message, bytes):
                await self.ws.send_bytes(message)
            else:
                await self.ws.send_str(message)
        finally:
            self.busy = False

    async def wait(self) -> str | bytes:
        assert self.ws is not None
        msg = await self.ws.receive()
        if not isinstance(msg.data, bytes | str):
            raise OSError()
        return msg.data

    def idle(self) -> bool:
        """True when a frame written now cannot overtake one the socket's writer has yet to write, and the
        write will not wait for the network."""
        socket, ws, transport = self.socket, self.ws, self.transport
        return (
            not self.busy
            and ws is not None
            and not ws.closed
            and socket.upgraded
            and socket.queue.empty()
            and transport is not None
            and not transport.is_closing()
            and transport.get_write_buffer_size() == 0  # type: ignore[attr-defined]
        )


class DirectSockets:
    """The websocket connections of one engine.io server, and the writes that skip their queues."""

    def __init__(self, eio: engineio.AsyncServer):
        self.eio = eio
        self.connections: dict[str, DirectWebSocket] = {}
        eio._async = {**eio._async, "websocket": functools.partial(DirectWebSocket, self.connections)}

    async def write_now(self, eio_sid: str, frame: bytes, binary: bool = False) -> bool:
        """Write an encoded engine.io packet if the socket's writer is idle; False if it must be queued."""
        connection = self.connections.get(eio_sid)
        if connection is None or not connection.idle():
            return False
        assert connection.ws is not None
        try:
            await connection.ws.send_frame(frame, WSMsgType.BINARY if binary else WSMsgType.TEXT)
        except ConnectionError:
            pass  # closing: its own handler cleans up
        return True

    async def deliver(self, eio_sids: Iterable[str], socketio_text: str) -> tuple[int, int]:
        """Send one encoded socket.io packet to these engine.io sessions. Returns (written directly, queued)."""
        frame = (ENGINEIO_MESSAGE + socketio_text).encode()
        queued_packet = eio_packet.Packet(eio_packet.MESSAGE, socketio_text)  # encodes once, when first sent
        sockets, write_now = self.eio.sockets, self.write_now
        direct = queued = 0
        for eio_sid in eio_sids:
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed or socket.closing:
                continue
            if await write_now(eio_sid, frame):
                direct += 1
            else:
                socket.queue.put_nowait(queued_packet)
                queued += 1
        return direct, queued


class RoomEngineServer(engineio.AsyncServer):
    """engine.io with every packet to one socket (acknowledgements, a snapshot) written directly when the
    socket's writer is idle. Besides saving a task wake-up, it keeps a big join snapshot from staying
    referenced by the writer task (its last sent packet) for the life of the connection."""

    direct: DirectSockets

    async def send_packet(self, sid: str, pkt: eio_packet.Packet) -> None:
        encoded = pkt.encode()
        binary = isinstance(encoded, bytes)
        if not await self.direct.write_now(sid, encoded if binary else encoded.encode(), binary):
            await super().send_packet(sid, pkt)


class RoomServer(socketio.AsyncServer):
    """socket.io on ``RoomEngineServer``, its manager (a ``FastEmitManager``) broadcasting through it."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.direct = DirectSockets(self.eio)
        self.eio.direct = self.direct
        if isinstance(self.manager, FastEmitManager):
            self.manager.direct = self.direct

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return RoomEngineServer


class FastEmitManager(socketio.AsyncManager):
    """A manager whose local emits without an acknowledgement go through ``DirectSockets.deliver``.

    Placed after ``AsyncPubSubManager`` in a subclass's bases, it also serves the emits that arrive from other
    processes (``AsyncPubSubManager._handle_emit`` calls ``super().emit``)."""

    direct: DirectSockets | None = None

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        room = to or room
        if self.direct is None or callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
            return
        if namespace not in self.rooms:
            return
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        recipients = [eio_sid for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip]
        if not recipients:  # encode nothing for a room without a socket in this process
            return
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        encoded = self.server.packet_class(socketio.packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        if isinstance(encoded, list):  # binary attachments: not used by the room, leave them to socket.io
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback)
            return
        await self.direct.deliver(recipients, encoded)


class RoomRedisManager(socketio.AsyncRedisManager, FastEmitManager):
    """Redis pub/sub between processes, the fast path for this process's sockets, and publishing through a
    pool that waits for a free connection: python-socketio's own client fails a publish ('Too many
    connections') once 100 are in flight, e.g. a burst of chat messages."""

    def __init__(self, url: str, channel: str, write_only: bool = False, publishers: int = 16):
        super().__init__(url, channel=channel, write_only=write_only)
        self.publisher = make_redis(url, max_connections=publishers)

    async def _publish(self, data: Any) -> None:
        try:
            await self.publisher.publish(self.channel, self.json.dumps(data))
        except Exception:
            log.exception("socket.io publish failed; other processes miss this event until their next snapshot")

    async def emit_each(self, event: str, namespace: str, items: list[tuple[str, Any]]) -> None:
        """One event to many rooms, each room its own data (every buyer their own order), in one publish:
        python-socketio's emit publishes, and every process decodes, one message per room."""
        if not items:
            return
        for room, data in items:
            await self.emit(event, data, namespace=namespace, room=room, ignore_queue=True)
        await self._publish({"method": "emit", "event": event, "namespace": namespace, "binary": False,
                             "each": [[room, [data]] for room, data in items], "host_id": self.host_id})

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """A message of ``emit_each`` is its rooms' emits, one by one; any other is python-socketio's."""
        each = message.get("each")
        if each is None:
            await super()._handle_emit(message)
            return
        for room, data in each:
            await super()._handle_emit({**message, "room": room, "data": data, "each": None})


def local_rooms(manager: socketio.AsyncManager, namespace: str, prefix: str) -> dict[str, int]:
    """This process's sockets per room, for the rooms whose name starts with ``prefix``."""
    rooms = manager.rooms.get(namespace, {})
    return {name: len(members) for name, members in rooms.items()
            if isinstance(name, str) and name.startswith(prefix) and members}


def room_members(manager: socketio.AsyncManager, namespace: str, room: str) -> Collection[str]:
    """This process's socket ids in the room (a live view: read it, do not keep it)."""
    return manager.rooms.get(namespace, {}).get(room, {})


def in_room(manager: socketio.AsyncManager, namespace: str, sid: str, room: str) -> bool:
    return sid in manager.rooms.get(namespace, {}).get(room, ())


async def close_pubsub_manager(manager: AsyncPubSubManager) -> None:
    """Stop the manager's listener task and close its Redis connections (python-socketio has no close)."""
    if isinstance(manager, RoomRedisManager):
        await manager.publisher.aclose()
    task = getattr(manager, "thread", None)
    if isinstance(task, asyncio.Task):
        await stop_tasks([task])  # its redis-py listen loop can swallow one cancellation
    for name in ("pubsub", "redis"):
        resource = getattr(manager, name, None)
        if resource is not None:
            with contextlib.suppress(Exception):
                await resource.aclose()
