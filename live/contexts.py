"""Cleanup contexts: each opens one shared resource when the app starts and closes it when it stops."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator

from aiohttp import web
from socketio.async_pubsub_manager import AsyncPubSubManager

from db.models import Show
from db.session import make_engine, make_sessionmaker
from live import keys
from live.background import stop_tasks
from live.config import Settings
from live.limits import RULES, Limiter
from live.media_bans import watch_bans
from live.media_events import ShowEvents
from live.media_nodes import Heartbeat, Node, NodeDirectory
from live.placement import Placement, ThisNode
from live.realtime import ratings, room
from live.realtime.announce import ShowAnnouncer
from live.realtime.audience import Audience
from live.realtime.broadcaster import Broadcaster, server_emits
from live.realtime.chat import BlockedWords
from live.realtime.chat_questions import ChatQuestions
from live.realtime.host import HostActions
from live.realtime.lineup import LineupCache
from live.realtime.listener import ListenerWatch
from live.realtime.members import Members
from live.realtime.namespace import RoomEvents, ShowNamespace
from live.realtime.presence import ViewerStats
from live.realtime.reactions import ReactionCounter
from live.realtime.room import RoomDoor
from live.realtime.server import close_server, local_shows, make_server
from live.realtime.staff import StaffFeed
from live.realtime.ticker import RoomTicker
from live.redis_clients import open_redis
from live.redis_durability import require_durable
from live.redis_server import EmbeddedRedis
from live.signals import BroadcastState
from live.tickets import TicketService
from streams.registry import MediaRegistry
from streams.settings import MediaSettings

log = logging.getLogger("live.contexts")


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[keys.settings_key].resolved_database_url())
    app[keys.engine_key] = engine
    app[keys.sessionmaker_key] = make_sessionmaker(engine)
    yield
    await engine.dispose()


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    """The configured Redis, or an embedded redis-server started (supervised, and later stopped) for this data
    folder. Unless told ``redis_durability=unsafe``, a Redis that could lose an acknowledged order is refused."""
    settings = app[keys.settings_key]
    embedded = None
    url = settings.redis_url
    if not url:
        embedded = EmbeddedRedis(settings.data_dir, settings.redis_appendfsync)
        url = await asyncio.to_thread(embedded.start)
    client = open_redis(url, settings.redis_cluster, timeout=settings.redis_timeout_seconds)
    supervisor = None
    try:
        await client.ping()
        if settings.redis_durability == "checked":
            await require_durable(client)
        app[keys.redis_key] = client
        app[keys.redis_url_key] = url
        if embedded is not None:
            supervisor = asyncio.create_task(supervise(embedded), name="embedded-redis-supervisor")
        yield
    finally:
        await stop_tasks([supervisor] if supervisor else [])
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


async def supervise(embedded: EmbeddedRedis, interval: float = 0.25) -> None:
    """Start the embedded Redis again on its data folder (AOF replay) whenever it dies. Meanwhile Redis calls
    fail with ConnectionError, which the API answers 503 retry."""
    while True:
        await asyncio.sleep(interval)
        await asyncio.to_thread(embedded.restart_if_died)


async def limits_ctx(app: web.Application) -> AsyncIterator[None]:
    """The abuse limits, on the app's Redis pool."""
    settings = app[keys.settings_key]
    rules = {name: getattr(settings, f"limit_{name}") for name in RULES}
    app[keys.limiter_key] = Limiter(app[keys.redis_key], settings.redis_prefix, rules, settings.trusted_proxies,
                                    cluster_url=app[keys.redis_url_key] if settings.redis_cluster else None)
    yield


def media_settings(settings: Settings) -> MediaSettings:
    return MediaSettings(
        ice_servers=settings.ice_servers, turn_secret=settings.turn_secret,
        turn_credential_ttl_seconds=settings.turn_credential_ttl_seconds, public_ip=settings.public_ip,
        max_viewers_per_show=settings.max_viewers_per_show, recordings_dir=settings.data_dir / "recordings",
        whep_pending_per_address=settings.whep_pending_per_address,
        whep_connect_timeout_seconds=settings.whep_connect_timeout_seconds,
        ice_candidates_per_session=settings.ice_candidates_per_session,
        ice_allow_loopback=settings.ice_allow_loopback)


async def media_ctx(app: web.Application) -> AsyncIterator[None]:
    """The media registry (it hears when shows end, and closes every peer connection when the app stops) and
    this node's place among the media nodes: a node that takes media announces itself on a heartbeat."""
    settings = app[keys.settings_key]
    broadcast_changed = app[keys.broadcast_changed_key]

    async def on_air_changed(show_id: str, on_air: bool) -> None:
        await broadcast_changed.send(BroadcastState(show_id, on_air))

    async def apply(show_id: str, state: str, record: bool) -> None:
        if state == "ended":
            await registry.end_show(show_id)
        else:
            registry.set_recording(show_id, record)

    async def show_changed(show: Show) -> None:
        await apply(show.id, show.state, show.record)
        await events.publish(show)  # the other nodes' media

    app[keys.media_settings_key] = media_settings(settings)
    registry = MediaRegistry(app[keys.media_settings_key], on_air_changed)
    app[keys.show_changed_key].subscribe(show_changed)
    app[keys.media_key] = registry
    node_id = secrets.token_hex(6)
    events = ShowEvents(app[keys.redis_key], app[keys.redis_keys_key].key("media_events"), node_id, apply)
    directory = NodeDirectory(app[keys.redis_key], app[keys.redis_keys_key].media_nodes)
    heartbeat = None
    if settings.takes_media:
        def describe() -> Node:
            return Node(node_id, settings.node_url or settings.public_url, settings.media_capacity, registry.load,
                        registry.relayed())

        heartbeat = Heartbeat(directory, describe, settings.node_heartbeat_seconds)
    app[keys.this_node_key] = ThisNode(node_id, settings.node_url, settings.takes_media,
                                       Placement(app[keys.redis_key], directory),
                                       TicketService(settings.resolved_secret_key()), heartbeat)
    await registry.start()
    bans = asyncio.create_task(watch_bans(registry, app[keys.redis_key], app[keys.redis_keys_key]), name="media-bans")
    if heartbeat is not None:
        events.start()
        await heartbeat.start()
    try:
        yield
    finally:
        await stop_tasks([bans])
        if heartbeat is not None:
            await heartbeat.stop()
        await events.stop()
        await registry.close()


def install_realtime(app: web.Application, settings: Settings) -> None:
    """The socket.io server is attached with the app (its routes must exist before the app starts); its room
    is built once the database and Redis are open (``realtime_ctx``, after them), and closed before them."""
    sio = make_server(settings, app[keys.redis_keys_key].socketio_channel)
    sio.attach(app, socketio_path="socket.io")
    app[keys.sio_key] = sio
    app.cleanup_ctx.append(realtime_ctx)


async def realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    """Builds the room's parts once, each with what it uses, and hands the HTTP handlers theirs (app keys)."""
    sio = app[keys.sio_key]
    redis, redis_keys, sessionmaker = app[keys.redis_key], app[keys.redis_keys_key], app[keys.sessionmaker_key]
    broadcaster = Broadcaster(*server_emits(sio))
    counter = ReactionCounter()
    members = Members()
    ticker = RoomTicker(redis, redis_keys, lambda: local_shows(sio, members), broadcaster, counter,
                        ViewerStats(sessionmaker, redis, redis_keys))
    lineups = LineupCache(sessionmaker, redis, redis_keys)
    blocked = BlockedWords(sessionmaker)
    staff = StaffFeed(sessionmaker, redis, redis_keys, sio, broadcaster)
    announcer = ShowAnnouncer(redis, redis_keys, lineups, broadcaster)
    host = HostActions(sessionmaker, redis, redis_keys, sio, broadcaster, announcer)
    questions = ChatQuestions(sessionmaker, redis, redis_keys, broadcaster)
    audience = Audience(sessionmaker, redis, redis_keys, sio.manager, lineups, blocked, counter, broadcaster,
                        questions)
    door = RoomDoor(redis, redis_keys, sio, members, app[keys.tokens_key], app[keys.limiter_key],
                    frozenset({app[keys.settings_key].public_origin}), lineups, ticker, staff)
    app[keys.broadcaster_key], app[keys.host_actions_key], app[keys.audience_key] = broadcaster, host, audience
    app[keys.chat_questions_key], app[keys.blocked_words_key] = questions, blocked
    app[keys.staff_feed_key], app[keys.lineups_key] = staff, lineups
    sio.register_namespace(ShowNamespace(door, RoomEvents(door, audience, host, questions)))
    app[keys.show_changed_key].subscribe(lambda show: room.on_show_changed(staff, announcer, show))
    app[keys.broadcast_changed_key].subscribe(
        lambda state: room.on_broadcast_changed(redis, redis_keys, announcer, state))
    app[keys.orders_changed_key].subscribe(lambda orders: room.on_orders_changed(broadcaster, staff, orders))
    app[keys.review_changed_key].subscribe(
        lambda product_id: ratings.on_review_changed(sessionmaker, redis, redis_keys, broadcaster, product_id))
    ticker.start()
    watch = None
    if isinstance(sio.manager, AsyncPubSubManager):
        watch = ListenerWatch(sio, sio.manager, redis, redis_keys.socketio_channel)
        app[keys.sio_listener_key] = watch
        watch.start()
    yield
    if watch is not None:
        await watch.stop()
    await close_server(sio, ticker)
    await staff.close()
