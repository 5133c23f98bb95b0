"""The commerce cleanup context: the tap path's order desk, the payment provider, and (unless disabled) the
background workers: persistence, payment capture and the reservation sweeper. Every process runs them;
consumer groups and atomic scripts make that safe."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator

from aiohttp import web
from redis.exceptions import RedisError

from live import keys
from live.background import stop_tasks
from live.commerce.cluster_pipeline import script_connection
from live.commerce.expiry import run_sweeper
from live.commerce.orders import OrderDesk
from live.commerce.payments import PaymentCapturer, PaymentService
from live.commerce.persist import OrderPersister
from live.commerce.pipeline import PipelinedConnection
from live.commerce.providers import SandboxProvider
from live.commerce.recovery import RecoveryGate
from live.commerce.taps_first import Holdback
from live.limits import per_window

SWEEP_INTERVAL_SECONDS = 1.0
log = logging.getLogger("live.commerce.workers")


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


def build_order_desk(app: web.Application) -> tuple[OrderDesk, PipelinedConnection, RecoveryGate]:
    """The tap path's desk, on one pipelined connection to Redis whose every new connection first passes the
    recovery gate (a Redis that is behind SQL is rebuilt before it takes a tap)."""
    settings, redis, redis_keys = app[keys.settings_key], app[keys.redis_key], app[keys.redis_keys_key]
    gate = RecoveryGate(redis, redis_keys, app[keys.sessionmaker_key], recovery=settings.redis_recovery,
                        durable=settings.redis_durability == "checked")
    scripts = script_connection(app[keys.redis_url_key], settings.redis_cluster, settings.redis_timeout_seconds,
                                on_connect=gate.ensure)
    desk = OrderDesk(redis, redis_keys, settings.reservation_ttl_seconds, scripts,
                     per_window(settings.limit_taps_per_buyer))
    return desk, scripts, gate


async def warm(scripts: PipelinedConnection) -> None:
    """Open the tap connection (and pass its recovery gate) now, not on the first buyer's tap: a process that
    opened it lazily kept the first taps of a deal drop waiting while it checked every live show in SQL. If
    Redis is not there yet, the first tap opens it, as before."""
    try:
        await scripts.open()
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("tap connection not opened at start; the first tap opens it", extra={"error": str(exc)})


async def commerce_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, redis, redis_keys = app[keys.settings_key], app[keys.redis_key], app[keys.redis_keys_key]
    desk, scripts, gate = build_order_desk(app)
    app[keys.order_desk_key] = desk
    await warm(scripts)
    provider = SandboxProvider(
        settings.resolved_webhook_url(), settings.resolved_webhook_secret(), settings.payment_async_delay_seconds
    )
    payments = PaymentService(desk, app[keys.sessionmaker_key], provider)
    app[keys.payment_service_key] = payments
    tasks: list[asyncio.Task[None]] = []
    if settings.run_workers:
        name = consumer_name()
        deliveries = settings.worker_max_deliveries
        hold = settings.worker_holdback_seconds
        persister = OrderPersister(redis, redis_keys, app[keys.sessionmaker_key], app[keys.orders_changed_key], name,
                                   max_deliveries=deliveries, holdback=Holdback(desk.activity, hold))
        capturer = PaymentCapturer(payments, name, max_deliveries=deliveries, holdback=Holdback(desk.activity, hold))
        tasks = [
            asyncio.create_task(persister.run(), name="order-persister"),
            asyncio.create_task(capturer.run(), name="payment-capturer"),
            asyncio.create_task(run_sweeper(redis, redis_keys, SWEEP_INTERVAL_SECONDS, settings.expiry_hold_lag_seconds,
                                            settings.redis_ended_show_ttl_seconds, gate.ensure),
                                name="reservation-sweeper"),
        ]
    try:
        yield
    finally:
        await stop_tasks(tasks)
        await provider.close()
        scripts.close()
