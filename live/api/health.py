"""Health for load balancers and orchestrators. ``/healthz``: this process can serve (Redis and the database
answer, and the socket.io listener hears the other processes). ``/readyz``: the same, and the process is not
shutting down, so a load balancer stops sending it new work while it drains. Both answer 503 with
Retry-After and what failed; neither needs a token."""

from __future__ import annotations

import asyncio
import os

from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from live import keys

CHECK_TIMEOUT = 2.0
_draining_key = web.AppKey("draining", asyncio.Event)


async def _redis(app: web.Application) -> bool:
    try:
        return bool(await asyncio.wait_for(app[keys.redis_key].ping(), CHECK_TIMEOUT))
    except (RedisError, OSError, TimeoutError):
        return False


async def _database(app: web.Application) -> bool:
    try:
        async with app[keys.sessionmaker_key]() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), CHECK_TIMEOUT)
        return True
    except (SQLAlchemyError, OSError, TimeoutError):
        return False


async def checks(app: web.Application) -> dict[str, bool]:
    watch = app.get(keys.sio_listener_key)
    return {"redis": await _redis(app), "database": await _database(app),
            "socketio_listener": watch is None or watch.healthy}


def _report(results: dict[str, bool]) -> web.Response:
    ok = all(results.values())
    body = {"status": "ok" if ok else "unavailable", "checks": results, "pid": os.getpid()}  # which worker
    return web.json_response(body, status=200 if ok else 503, headers={} if ok else {"Retry-After": "1"})


async def healthz(request: web.Request) -> web.Response:
    return _report(await checks(request.app))


async def readyz(request: web.Request) -> web.Response:
    results = await checks(request.app)
    results["accepting"] = not request.app[_draining_key].is_set()
    return _report(results)


async def _drain(app: web.Application) -> None:
    app[_draining_key].set()


def add_routes(app: web.Application) -> None:
    app[_draining_key] = asyncio.Event()
    app.on_shutdown.append(_drain)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
