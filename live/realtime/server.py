"""The socket.io server on the aiohttp app: created with the app (its routes must exist before the app
starts), given its room once the database and Redis are open, and closed before them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import socketio
from aiohttp import web
from socketio.async_pubsub_manager import AsyncPubSubManager

from live import keys
from live.config import Settings, url_origin
from live.realtime import engine, protocol, ratings
from live.realtime.announce import ShowAnnouncer
from live.realtime.audience import Audience
from live.realtime.broadcaster import Broadcaster, server_emits
from live.realtime.chat import BlockedWords
from live.realtime.chat_questions import ChatQuestions
from live.realtime.host import HostActions
from live.realtime.lineup import LineupCache
from live.realtime.listener import ListenerWatch
from live.realtime.members import Members, own_origin
from live.realtime.namespace import RoomEvents, ShowNamespace
from live.realtime.presence import ViewerStats
from live.realtime.reactions import ReactionCounter
from live.realtime.room import RoomDoor, audience_here, on_broadcast_changed, on_order_changed, on_show_changed
from live.realtime.staff import StaffFeed
from live.realtime.ticker import RoomTicker
from live.redis_server import EmbeddedRedis

log = logging.getLogger("live.realtime")
MAX_EVENT_BYTES = 64 * 1024


def origin_policy(settings: Settings) -> Any:
    """Browsers may connect from our own pages (same origin, or the public URL) and from the sites allowed to
    embed the player; clients that send no Origin (apps, servers) are not browsers and may connect too."""
    allowed = {settings.public_origin, *(url_origin(o) for o in settings.embed_allowed_origins)}

    def allow(origin: str | None, environ: Mapping[str, Any]) -> bool:
        return origin is None or origin == own_origin(environ) or origin in allowed

    return allow


def install(app: web.Application, settings: Settings) -> None:
    rk = app[keys.redis_keys_key]
    redis_url = settings.redis_url or EmbeddedRedis(settings.data_dir).url
    fast = settings.socketio_fast_broadcast
    manager = (engine.RoomRedisManager if fast else socketio.AsyncRedisManager)(redis_url, channel=rk.socketio_channel)
    sio = (engine.RoomServer if fast else socketio.AsyncServer)(
        async_mode="aiohttp", client_manager=manager, cors_allowed_origins=origin_policy(settings),
        transports=["polling", "websocket"], max_http_buffer_size=MAX_EVENT_BYTES, logger=False,
        engineio_logger=False,
    )
    sio.attach(app, socketio_path="socket.io")
    app[keys.sio_key] = sio
    app.cleanup_ctx.append(realtime_ctx)


def _local_shows(sio: socketio.AsyncServer, members: Members) -> dict[str, set[str]]:
    """The shows with sockets here (the ticker serves them all, staff included) and their audience here."""
    rooms = engine.local_rooms(sio.manager, protocol.NAMESPACE, protocol.SHOW_ROOM_PREFIX)
    return {show_id: audience_here(sio.manager, members, show_id)
            for show_id in (name.removeprefix(protocol.SHOW_ROOM_PREFIX) for name in rooms)}


async def realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    """Builds the room's parts once, each with what it uses, and hands the HTTP handlers theirs (app keys)."""
    sio = app[keys.sio_key]
    redis, rk, sessionmaker = app[keys.redis_key], app[keys.redis_keys_key], app[keys.sessionmaker_key]
    broadcaster = Broadcaster(*server_emits(sio))
    counter = ReactionCounter()
    members = Members()
    ticker = RoomTicker(redis, rk, lambda: _local_shows(sio, members), broadcaster, counter,
                        ViewerStats(sessionmaker, redis, rk))
    lineups = LineupCache(sessionmaker, redis, rk)
    blocked = BlockedWords(sessionmaker)
    staff = StaffFeed(sessionmaker, redis, rk, sio, broadcaster)
    announcer = ShowAnnouncer(redis, rk, lineups, broadcaster)
    host = HostActions(sessionmaker, redis, rk, sio, broadcaster, announcer)
    questions = ChatQuestions(sessionmaker, redis, rk, broadcaster)
    audience = Audience(sessionmaker, redis, rk, sio.manager, lineups, blocked, counter, broadcaster, questions)
    door = RoomDoor(redis, rk, sio, members, app[keys.tokens_key], app[keys.limiter_key],
                    frozenset({app[keys.settings_key].public_origin}), lineups, ticker, staff)
    app[keys.broadcaster_key], app[keys.host_actions_key], app[keys.audience_key] = broadcaster, host, audience
    app[keys.chat_questions_key], app[keys.blocked_words_key] = questions, blocked
    app[keys.staff_feed_key], app[keys.lineups_key] = staff, lineups
    sio.register_namespace(ShowNamespace(door, RoomEvents(door, audience, host, questions)))
    app[keys.show_changed_key].subscribe(lambda show: on_show_changed(staff, announcer, show))
    app[keys.broadcast_changed_key].subscribe(lambda state: on_broadcast_changed(redis, rk, announcer, state))
    app[keys.order_changed_key].subscribe(lambda order: on_order_changed(broadcaster, staff, order))
    app[keys.review_changed_key].subscribe(
        lambda product_id: ratings.on_review_changed(sessionmaker, redis, rk, broadcaster, product_id))
    ticker.start()
    watch = None
    if isinstance(sio.manager, AsyncPubSubManager):
        watch = ListenerWatch(sio, sio.manager, redis, rk.socketio_channel)
        app[keys.sio_listener_key] = watch
        watch.start()
    yield
    if watch is not None:
        await watch.stop()
    await close(sio, ticker)
    await staff.close()


async def close(sio: socketio.AsyncServer, ticker: RoomTicker) -> None:
    """Close every socket (their disconnects leave the rooms and the viewer count), then the background work."""
    with contextlib.suppress(Exception):
        await sio.eio.disconnect()
    await ticker.stop()
    await sio.shutdown()
    if isinstance(sio.manager, AsyncPubSubManager):
        await engine.close_pubsub_manager(sio.manager)
