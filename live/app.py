"""The application factory: wires settings, storage, routes and background work together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from db.models import Show
from live import keys
from live.api import (
    accounts,
    affiliates,
    complaints,
    docs,
    experts,
    health,
    media,
    orders,
    pages,
    products,
    questions,
    reach,
    results,
    reviews,
    room,
    routing,
    shows,
    signin,
)
from live.auth import TokenService
from live.commerce.workers import commerce_ctx
from live.config import Settings
from live.contexts import database_ctx, install_realtime, limits_ctx, media_ctx, redis_ctx
from live.errors import error_middleware
from live.rediskeys import RedisKeys
from live.signals import BroadcastState, Signal

MAX_BODY_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app[keys.settings_key] = settings
    app[keys.tokens_key] = TokenService(settings.resolved_secret_key(), settings.token_ttl_seconds,
                                          settings.secret_keys_previous)
    app[keys.redis_keys_key] = RedisKeys(settings.redis_prefix)
    app[keys.show_changed_key] = Signal[Show]("show_changed")
    app[keys.broadcast_changed_key] = Signal[BroadcastState]("broadcast_changed")
    app[keys.orders_changed_key] = Signal[list[dict[str, Any]]]("orders_changed")
    app[keys.review_changed_key] = Signal[str]("review_changed")
    app.cleanup_ctx.extend([database_ctx, redis_ctx, limits_ctx, commerce_ctx, media_ctx])
    install_realtime(app, settings)  # its cleanup context runs after (and closes before) the ones above
    endpoints = routing.install(
        app, [accounts.router, products.router, shows.router, orders.router, room.router, media.router,
              results.router, affiliates.router, reach.router, reviews.router, questions.router,
              experts.router, complaints.router, signin.router]
    )
    media.add_routes(app)
    docs.add_routes(app, endpoints)
    pages.add_routes(app)
    health.add_routes(app)
    return app


@asynccontextmanager
async def started_app(settings: Settings) -> AsyncIterator[web.Application]:
    """The app with its resources open but no HTTP listener and no background workers: for commands."""
    # Commands take no orders, so they work against any Redis (reconcile must, to report a loss).
    app = create_app(settings.model_copy(update={"run_workers": False, "redis_durability": "unsafe"}))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        yield app
    finally:
        await runner.cleanup()
