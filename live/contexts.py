"""Cleanup contexts: each opens one shared resource when the app starts and closes it when it stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import BlockingConnectionPool, Redis

from db.session import make_engine, make_sessionmaker
from live import keys
from live.background import stop_tasks
from live.limits import RULES, Limiter
from live.media_bans import watch_bans
from live.redis_server import EmbeddedRedis
from streams.registry import MediaRegistry


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


async def limits_ctx(app: web.Application) -> AsyncIterator[None]:
    """The abuse limits, on the app's Redis pool."""
    settings = app[keys.settings_key]
    rules = {name: getattr(settings, f"limit_{name}") for name in RULES}
    app[keys.limiter_key] = Limiter(app[keys.redis_key], settings.redis_prefix, rules, settings.trusted_proxies)
    yield


async def media_ctx(app: web.Application) -> AsyncIterator[None]:
    """The media registry: it hears when shows end, and closes every peer connection when the app stops."""
    settings = app[keys.settings_key]
    registry = MediaRegistry(settings, app[keys.broadcast_changed_key], settings.max_viewers_per_show)
    app[keys.show_changed_key].subscribe(registry.show_changed)
    app[keys.media_key] = registry
    await registry.start()
    bans = asyncio.create_task(watch_bans(registry, app[keys.redis_key], app[keys.redis_keys_key]), name="media-bans")
    try:
        yield
    finally:
        await stop_tasks([bans])
        await registry.close()
