"""``live worker`` beside a web process started with ``LIVE_RUN_WORKERS=false``: the web process only takes
taps; the worker persists them, captures the payment, and the buyer's socket on the web process hears
'paid' through Redis."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import select

from db.models import Order
from db.session import make_engine, make_sessionmaker
from live.redis_clients import make_redis
from live.rediskeys import RedisKeys
from tests.conftest import delete_prefixed, free_port
from tests.helpers import Api, eventually
from tests.processes import RemoteClient, ServerProcess, new_prefix, server_env
from tests.realtime.conftest import Socket
from tests.services import Services


async def test_a_separate_worker_process_persists_and_charges_what_the_web_process_took(
        services: Services, tmp_path: Path) -> None:
    await _separate_worker(services, tmp_path, web_workers=1)


async def test_a_separate_worker_process_beside_two_web_workers(services: Services, tmp_path: Path) -> None:
    """The same with ``--workers 2`` and ``LIVE_RUN_WORKERS=false``: neither web worker persists anything."""
    await _separate_worker(services, tmp_path, web_workers=2)


async def _separate_worker(services: Services, tmp_path: Path, web_workers: int) -> None:
    prefix = new_prefix()
    env = server_env(services, tmp_path / "data", prefix, "worker-test-secret-" + secrets.token_hex(32),
                     LIVE_RUN_WORKERS="false")
    web = ServerProcess(env, free_port(), workers=web_workers).start()
    worker: subprocess.Popen[bytes] | None = None
    engine = make_engine(services.database_url)
    redis = make_redis(services.redis_url)
    socket = None
    try:
        async with aiohttp.ClientSession(base_url=web.url) as http:
            api = Api(RemoteClient(http))  # type: ignore[arg-type]
            owner = await api.merchant()
            show, offer = await api.live_show(owner, stock=5)
            buyer = await api.viewer("Buyer")
            socket = await Socket(web.url).connect(actor=buyer)
            await socket.join(show["id"])
            status, body = await api.tap(buyer, show["id"], offer["id"])
            assert status == 201
            order_id = body["order"]["id"]

            async def in_sql() -> Order | None:
                async with make_sessionmaker(engine)() as session:
                    return await session.scalar(select(Order).where(Order.id == order_id))

            # The web process took the order into the show's stream and does nothing more with it.
            assert await redis.xlen(RedisKeys(prefix).show(show["id"]).stream) == 1
            assert await in_sql() is None

            worker_env = {**env, "LIVE_PUBLIC_URL": web.url, "LIVE_PORT": str(web.port)}
            worker = subprocess.Popen([sys.executable, "-m", "live", "worker"], env=worker_env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            async def paid() -> bool:
                order = await in_sql()
                return order is not None and order.status == "paid"

            await eventually(paid, timeout=30)
            event = await socket.wait_for("order", lambda e: e["order"]["status"] == "paid")
            assert event["order"]["id"] == order_id
            worker.terminate()
            assert worker.wait(20) == 0, "the worker stops cleanly on SIGTERM"
    finally:
        if socket is not None:
            await socket.close()
        if worker is not None and worker.poll() is None:
            worker.kill()
        web.stop()
        await redis.aclose()
        await engine.dispose()
        await delete_prefixed(services.redis_url, prefix)
