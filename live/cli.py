"""The ``live`` command: serve, worker, migrate, demo, reconcile, orders dead-letters."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from redis.asyncio import Redis

from db import migrate
from db.session import make_engine
from live import keys
from live.config import Settings
from live.logs import ACCESS_LOG_FORMAT, configure_logging
from live.redis_durability import RedisNotDurable
from live.redis_server import EmbeddedRedisError
from live.rediskeys import RedisKeys

log = logging.getLogger("live.cli")


def _install_uvloop() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        pass


@asynccontextmanager
async def started_app(settings: Settings) -> AsyncIterator[web.Application]:
    """The app with its resources open but no HTTP listener and no background workers: for commands."""
    from live.app import create_app

    # Commands take no orders, so they work against any Redis (reconcile must, to report a loss).
    app = create_app(settings.model_copy(update={"run_workers": False, "redis_durability": "unsafe"}))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        yield app
    finally:
        await runner.cleanup()


async def _migrate(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url())
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def _demo(settings: Settings, if_empty: bool) -> None:
    from live import demo

    async with started_app(settings) as app, app[keys.sessionmaker_key]() as session:
        if if_empty and not await demo.database_is_empty(session):
            print("Demo skipped: the database already has data.")
            return
        logins = await demo.seed(session, app[keys.redis_key], app[keys.redis_keys_key], settings.public_url)
    print(demo.describe(logins, settings.public_url))


def _serve(settings: Settings) -> None:
    from live.app import create_app

    _install_uvloop()
    log.info("serving", extra={"url": f"http://{settings.host}:{settings.port}"})
    web.run_app(
        create_app(settings), host=settings.host, port=settings.port,
        access_log_format=ACCESS_LOG_FORMAT, print=None,
    )


async def _work(settings: Settings) -> None:
    """The background workers alone (persistence, payment capture, expiry), with no HTTP listener: run one
    or more beside web processes started with ``LIVE_RUN_WORKERS=false``, so a purchase spike's follow-up
    work never shares an event loop with the taps. Their events reach the web processes' sockets through
    Redis."""
    from live.app import create_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(create_app(settings.model_copy(update={"run_workers": True})))
    await runner.setup()
    log.info("worker started")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="live", description="Live shopping server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve HTTP, socket.io and WebRTC")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--role", choices=["all", "web", "media"],
                       help="all (default, LIVE_ROLE): everything in one process; web: HTTP and socket.io, WebRTC "
                            "goes to media nodes; media: also takes WebRTC sessions")
    commands.add_parser("worker", help="run only the background workers (beside LIVE_RUN_WORKERS=false web processes)")
    commands.add_parser("migrate", help="upgrade the database schema to the latest version")
    demo = commands.add_parser("demo", help="seed a demo merchant, host, viewer and live show")
    demo.add_argument("--if-empty", action="store_true", help="do nothing if the database has data")
    reconcile = commands.add_parser("reconcile", help="prove allocated = remaining + reserved + paid + returned")
    reconcile.add_argument("--show", help="only this show")
    reconcile.add_argument("--all", action="store_true", dest="all_shows",
                           help="every show, not only the live ones and those ended recently")
    orders = commands.add_parser("orders", help="inspect the order workers").add_subparsers(
        dest="orders_command", required=True)
    dead = orders.add_parser("dead-letters", help="list the worker entries that kept failing, or retry one")
    dead.add_argument("--show", help="only those of this show")
    dead.add_argument("--retry", metavar="ID", help="put this dead letter back on its stream (cause fixed)")
    return parser


async def _dead_letters(settings: Settings, show_id: str | None, retry_id: str | None) -> int:
    async with started_app(settings) as app:
        return await dead_letters(app[keys.redis_key], app[keys.redis_keys_key], show_id, retry_id)


async def dead_letters(redis: Redis, rk: RedisKeys, show_id: str | None, retry_id: str | None) -> int:
    """``live orders dead-letters``: list them (of one show), or put one back on its stream."""
    from live.commerce import deadletters

    if retry_id:
        dead = await deadletters.retry(redis, rk, retry_id)
        if dead is None:
            print(f"live: no dead letter {retry_id}", file=sys.stderr)
            return 1
        print(f"Put back on {dead.stream}: {dead.id} (was entry {dead.entry_id})")
        return 0
    found = await deadletters.list_dead(redis, rk, show_id)
    for dead in found:
        print(dead.describe())
    print(f"{len(found)} dead letter(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    if getattr(args, "host", None):
        settings.host = args.host
    if getattr(args, "port", None):
        settings.port = args.port
    if getattr(args, "role", None):
        settings.role = args.role
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            _serve(settings)
        elif args.command == "worker":
            _install_uvloop()
            asyncio.run(_work(settings))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("Database is up to date.")
        elif args.command == "demo":
            asyncio.run(_demo(settings, args.if_empty))
        elif args.command == "reconcile":
            from live.commerce.reconcile import run_reconcile

            return asyncio.run(run_reconcile(settings, args.show, args.all_shows))
        elif args.command == "orders":
            return asyncio.run(_dead_letters(settings, args.show, args.retry))
    except (EmbeddedRedisError, RedisNotDurable) as exc:
        print(f"live: {exc}", file=sys.stderr)
        return 2
    return 0
