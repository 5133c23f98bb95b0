"""The ``live`` command: serve, worker, migrate, demo, reconcile, orders dead-letters. The entry point: with
the tests, the only code that imports the composition root (live.app)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.exc import SQLAlchemyError

from db import migrate
from db.session import make_engine
from live import keys
from live.app import create_app, started_app
from live.config import Settings
from live.heap import freeze_on_startup
from live.logs import AccessLogger, configure_logging
from live.redis_durability import RedisNotDurable
from live.redis_server import EmbeddedRedisError
from live.rediskeys import RedisKeys
from live.web_processes import OneProcessOnly, Supervisor, default_workers, parent_gone, serve_worker

log = logging.getLogger("live.cli")


def _install_uvloop() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        pass


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


class SchemaNotCurrent(RuntimeError):
    """The database is not at the migrations' head: every page would fail until it is migrated."""


async def _require_current_schema(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url())
    try:
        current = await migrate.is_current(engine)
    except (SQLAlchemyError, OSError):  # unreachable now: an outage the server answers 503 to, not a refusal
        log.warning("cannot check the database schema; serving anyway", exc_info=True)
        return
    finally:
        await engine.dispose()
    if not current:
        raise SchemaNotCurrent("the database schema is missing or out of date: run `live migrate`")


def _serve(settings: Settings, workers: int, reuse_port: bool, media_port: int | None) -> int:
    _install_uvloop()
    if reuse_port:  # one worker of `--workers N`: its parent checked the schema
        asyncio.run(serve_worker(create_app(settings), settings, media_port))
        return 0
    asyncio.run(_require_current_schema(settings))
    log.info("serving", extra={"url": f"http://{settings.host}:{settings.port}", "workers": workers})
    if workers > 1:
        return Supervisor(settings, workers).run()
    app = create_app(settings)
    app.on_startup.append(freeze_on_startup)
    web.run_app(app, host=settings.host, port=settings.port, access_log_class=AccessLogger, print=None)
    return 0


async def _work(settings: Settings, supervised: bool) -> None:
    """The background workers alone (persistence, payment capture, expiry), with no HTTP listener: run one
    or more beside web processes started with ``LIVE_RUN_WORKERS=false``, so a purchase spike's follow-up
    work never shares an event loop with the taps, nor (at ``worker_nice``) their CPU. Their events reach
    the web processes' sockets through Redis. ``supervised``: a child of ``live serve --workers N``, which
    stops when its parent is gone."""
    os.nice(settings.worker_nice)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # role web: a process with no listener must not announce itself as a media node
    app = create_app(settings.model_copy(update={"run_workers": True, "role": "web"}))
    app.on_startup.append(freeze_on_startup)
    runner = web.AppRunner(app)
    await runner.setup()
    orphaned = asyncio.create_task(parent_gone(stop.set), name="parent-watch") if supervised else None
    log.info("worker started")
    try:
        await stop.wait()
    finally:
        if orphaned is not None:
            orphaned.cancel()
        await runner.cleanup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="live", description="Live shopping server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve HTTP, socket.io and WebRTC")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, metavar="N",
                       help="web processes on the one port (default: LIVE_WEB_WORKERS, else the number of cores)")
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # one of --workers N
    serve.add_argument("--media-port", type=int, help=argparse.SUPPRESS)  # that worker's own, for WebRTC
    serve.add_argument("--role", choices=["all", "web", "media"],
                       help="all (default, LIVE_ROLE): everything in one process; web: HTTP and socket.io, WebRTC "
                            "goes to media nodes; media: also takes WebRTC sessions")
    worker = commands.add_parser("worker", help="run only the background workers (beside LIVE_RUN_WORKERS=false web "
                                 "processes), at LIVE_WORKER_NICE")
    worker.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)  # the child of --workers N
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


async def dead_letters(redis: Redis, redis_keys: RedisKeys, show_id: str | None, retry_id: str | None) -> int:
    """``live orders dead-letters``: list them (of one show), or put one back on its stream."""
    from live.commerce import deadletters

    if retry_id:
        dead = await deadletters.retry(redis, redis_keys, retry_id)
        if dead is None:
            print(f"live: no dead letter {retry_id}", file=sys.stderr)
            return 1
        print(f"Put back on {dead.stream}: {dead.id} (was entry {dead.entry_id})")
        return 0
    found = await deadletters.list_dead(redis, redis_keys, show_id)
    for dead in found:
        print(dead.describe())
    print(f"{len(found)} dead letter(s)")
    return 0


async def _reconcile(settings: Settings, show_id: str | None, all_shows: bool = False) -> int:
    """``live reconcile``: prints the table; exit status 1 if any offer does not balance. Without ``all_shows``
    only the live shows and those ended within the lifetime of an ended show's Redis keys are checked."""
    from live.commerce.active import active_shows
    from live.commerce.reconcile import format_table, reconcile, wait_quiescent

    since = None if all_shows else datetime.now(UTC) - timedelta(seconds=settings.redis_ended_show_ttl_seconds)
    async with started_app(settings) as app, app[keys.sessionmaker_key]() as session:
        redis, redis_keys = app[keys.redis_key], app[keys.redis_keys_key]
        shows = [show_id] if show_id else await active_shows(redis, redis_keys)
        if not await wait_quiescent(redis, redis_keys, shows):
            print("warning: workers are still writing; differences below may be in flight")
        balances = await reconcile(session, redis, redis_keys, show_id, since)
    print(format_table(balances))
    for balance in balances:
        for problem in balance.problems:
            if "orders" in problem and ":" in problem:  # the ones that name order ids, in full
                print(f"{balance.show_id} {balance.offer_id}: {problem}")
    bad = [b for b in balances if not b.ok]
    print(f"{len(balances)} offers checked, {len(bad)} with differences.")
    return 1 if bad else 0


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings with the command line's on top (public_url follows the served port)."""
    given: dict[str, Any] = {name: getattr(args, name, None) for name in ("host", "port", "role")}
    return Settings(**{name: value for name, value in given.items() if value})


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings(args)
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            workers = args.workers or settings.web_workers or default_workers(settings)
            return _serve(settings, workers, args.reuse_port, args.media_port)
        if args.command == "worker":
            _install_uvloop()
            asyncio.run(_work(settings, args.supervised))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("Database is up to date.")
        elif args.command == "demo":
            asyncio.run(_demo(settings, args.if_empty))
        elif args.command == "reconcile":
            return asyncio.run(_reconcile(settings, args.show, args.all_shows))
        elif args.command == "orders":
            return asyncio.run(_dead_letters(settings, args.show, args.retry))
    except (EmbeddedRedisError, RedisNotDurable, SchemaNotCurrent, OneProcessOnly) as exc:
        print(f"live: {exc}", file=sys.stderr)
        return 2
    return 0
