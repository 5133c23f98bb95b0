"""Cleanup contexts: each opens one shared resource when the app starts and closes it when it stops."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import BlockingConnectionPool, Redis

from db.models import Show
from db.session import make_engine, make_sessionmaker
from live import keys
from live.config import Settings
from live.media_events import ShowEvents
from live.media_nodes import Heartbeat, Node, NodeDirectory
from live.placement import Placement, ThisNode
from live.redis_server import EmbeddedRedis
from live.signals import BroadcastState
from live.tickets import TicketService
from streams.registry import MediaRegistry
from streams.settings import MediaSettings


def make_redis(url: str, max_connections: int = 64) -> Redis:
    """A client whose pool blocks instead of opening a connection per concurrent caller."""
    pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=10, decode_responses=True)
    return Redis(connection_pool=pool)


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[keys.settings_key].resolved_database_url())
    app[keys.engine_key] = engine
    app[keys.sessionmaker_key] = make_sessionmaker(engine)
    yield
    await engine.dispose()


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    """The configured Redis, or an embedded redis-server started (and later stopped) for this data folder."""
    settings = app[keys.settings_key]
    embedded = None
    url = settings.redis_url
    if not url:
        embedded = EmbeddedRedis(settings.data_dir, settings.redis_appendfsync)
        url = await asyncio.to_thread(embedded.start)
    client = make_redis(url)
    try:
        await client.ping()
        app[keys.redis_key] = client
        app[keys.redis_url_key] = url
        yield
    finally:
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


def media_settings(settings: Settings) -> MediaSettings:
    return MediaSettings(ice_servers=settings.ice_servers, ice_username=settings.ice_username,
                         ice_credential=settings.ice_credential, public_ip=settings.public_ip,
                         max_viewers_per_show=settings.max_viewers_per_show,
                         recordings_dir=settings.data_dir / "recordings")


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
    if heartbeat is not None:
        events.start()
        await heartbeat.start()
    try:
        yield
    finally:
        if heartbeat is not None:
            await heartbeat.stop()
        await events.stop()
        await registry.close()
