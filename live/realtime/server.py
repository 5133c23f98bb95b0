"""The socket.io server of the show room: how it is made (who may connect, which manager carries emits) and
closed. The composition root (live/contexts.py) attaches it to the app and builds the room's parts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import engineio
import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from live.config import Settings, url_origin
from live.realtime import engine, protocol
from live.realtime.members import Members, own_origin
from live.realtime.room import audience_here
from live.realtime.ticker import RoomTicker
from live.redis_server import EmbeddedRedis

MAX_EVENT_BYTES = 64 * 1024
CLOSE_WAIT_SECONDS = 5.0  # at shutdown, for each socket's close packet to go out


def origin_policy(settings: Settings) -> Any:
    """Browsers may connect from our own pages (same origin, or the public URL) and from the sites allowed to
    embed the player; clients that send no Origin (apps, servers) are not browsers and may connect too."""
    allowed = {settings.public_origin, *(url_origin(o) for o in settings.embed_allowed_origins)}

    def allow(origin: str | None, environ: Mapping[str, Any]) -> bool:
        return origin is None or origin == own_origin(environ) or origin in allowed

    return allow


def make_server(settings: Settings, channel: str) -> socketio.AsyncServer:
    """The server, over a Redis manager on ``channel`` (``RedisKeys.socketio_channel``: it carries the
    deployment's prefix). Made with the app, because its routes must exist before the app starts."""
    redis_url = settings.redis_url or EmbeddedRedis(settings.data_dir).url
    fast = settings.socketio_fast_broadcast
    manager_class = engine.RoomRedisManager if fast else socketio.AsyncRedisManager
    manager = manager_class(redis_url, channel=channel)
    return (engine.RoomServer if fast else socketio.AsyncServer)(
        async_mode="aiohttp", client_manager=manager, cors_allowed_origins=origin_policy(settings),
        transports=["polling", "websocket"], max_http_buffer_size=MAX_EVENT_BYTES, logger=False,
        engineio_logger=False,
    )


def local_shows(sio: socketio.AsyncServer, members: Members) -> dict[str, set[str]]:
    """The shows with sockets here (the ticker serves them all, staff included) and their audience here."""
    rooms = engine.local_rooms(sio.manager, protocol.NAMESPACE, protocol.SHOW_ROOM_PREFIX)
    return {show_id: audience_here(sio.manager, members, show_id)
            for show_id in (name.removeprefix(protocol.SHOW_ROOM_PREFIX) for name in rooms)}


async def close_sockets(eio: engineio.AsyncServer, wait_seconds: float = CLOSE_WAIT_SECONDS) -> None:
    """Close every socket, each with ``wait_seconds`` for its close packet to go out.

    Why not ``eio.disconnect()``: engine.io's close waits for the socket's queue to empty, and a long-polling
    client that has left never fetches it again, so the app's shutdown waited for ever. A close still waiting
    after the bound is cancelled (the socket is already marked closed, its disconnect already ran)."""
    closing = [asyncio.create_task(socket.close(reason=eio.reason.SERVER_DISCONNECT))
               for socket in list(eio.sockets.values())]
    if closing:
        _, late = await asyncio.wait(closing, timeout=wait_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*closing, return_exceptions=True)  # a close's own error ends only that close
    eio.sockets = {}  # as engine.io's own disconnect() leaves it


async def close_server(sio: socketio.AsyncServer, ticker: RoomTicker) -> None:
    """Close every socket (their disconnects leave the rooms and the viewer count), then the background work."""
    await close_sockets(sio.eio)
    await ticker.stop()
    await sio.shutdown()
    if isinstance(sio.manager, AsyncPubSubManager):
        await engine.close_pubsub_manager(sio.manager)
