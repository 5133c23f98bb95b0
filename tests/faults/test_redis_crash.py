"""Redis dies in the middle of a spike and comes back on the same data: nothing the server said yes to is
lost, on the durable default (appendfsync always, checked at start-up).

- A redis-server of the test's own is killed with SIGKILL three times during one spike and started again:
  taps answer 201, 200, 409 or 503 with Retry-After meanwhile, never 500; every 201 is readable by its buyer
  and in SQL exactly once, a retried key never makes a second order, nothing is oversold, ``live reconcile``
  exits 0.
- The embedded default: its redis-server is killed and the app starts it again by itself.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import Order
from live import keys
from live.app import create_app
from live.commerce import stock
from live.commerce.reconcile import wait_quiescent
from live.config import Settings
from live.redis_server import process_alive
from tests.conftest import free_port, make_settings, running_client
from tests.faults.conftest import OwnRedis
from tests.faults.history import check
from tests.faults.spike import Spike, live_spike, readable_by_buyers
from tests.helpers import Api, eventually
from tests.services import Services

STOCK, LIMIT, BUYERS, SPREAD_SECONDS = 200, 1, 320, 4.0


def durable_settings(services: Services, data_dir: Path, **overrides: object) -> Settings:
    """The defaults a deployment gets: durability checked, recovery on."""
    values: dict[str, object] = {"port": free_port(), "redis_durability": "checked", "redis_recovery": True}
    return make_settings(services, data_dir, False, **{**values, **overrides})


def reconcile_cli(settings: Settings, show_id: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(LIVE_DATABASE_URL=settings.resolved_database_url(), LIVE_REDIS_URL=settings.redis_url or "",
               LIVE_REDIS_PREFIX=settings.redis_prefix, LIVE_SECRET_KEY=settings.secret_key or "",
               LIVE_DATA_DIR=str(settings.data_dir), LIVE_REDIS_CLUSTER=str(settings.redis_cluster).lower())
    return subprocess.run([sys.executable, "-m", "live", "reconcile", "--show", show_id], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def settled(client: TestClient, spike: Spike) -> list[Order]:
    """Wait until the workers have written everything, then the show's SQL orders."""
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    assert await wait_quiescent(redis, redis_keys, [spike.show_id], timeout=60), "the workers did not catch up"
    async with client.app[keys.sessionmaker_key]() as session:
        return list(await session.scalars(select(Order).where(Order.show_id == spike.show_id)))


async def assert_nothing_acknowledged_lost(client: TestClient, spike: Spike) -> None:
    rows = await settled(client, spike)
    left = await stock.remaining(client.app[keys.redis_key], client.app[keys.redis_keys_key], spike.show_id)
    problems = check(spike.history, stock={spike.offer_id: STOCK}, limit=LIMIT, sql_orders=rows, remaining=left)
    problems += await readable_by_buyers(spike)
    assert not problems, "\n".join(problems[:20])
    assert len({row.id for row in rows}) == len(rows)


async def test_redis_sigkill_three_times_mid_spike_loses_nothing(
        aiohttp_client, fault_services: Services, own_redis: OwnRedis, tmp_path: Path) -> None:
    settings = durable_settings(fault_services, tmp_path / "data")
    async with running_client(aiohttp_client, settings) as client:
        spike, buyers = await live_spike(Api(client), STOCK, LIMIT, BUYERS)
        rng = random.Random(10)

        async def chaos() -> None:
            for threshold in (40, 90, 140):
                async def acked_enough(t: int = threshold) -> bool:
                    return len(spike.acked) >= t

                await eventually(acked_enough, timeout=60, interval=0.01)
                own_redis.kill9()
                await asyncio.sleep(0.5)
                await asyncio.to_thread(own_redis.start)

        shoppers = [spike.buyer(b, rng.random() * SPREAD_SECONDS, 0.25, rng) for b in buyers]
        await asyncio.gather(chaos(), *shoppers)
        assert spike.unavailable > 0, "Redis was down during the spike: some taps must have been told 503"
        await assert_nothing_acknowledged_lost(client, spike)
        assert len(spike.acked) == STOCK, "every unit sold once the buyers' retries were answered"
        result = await asyncio.to_thread(reconcile_cli, settings, spike.show_id)
        assert result.returncode == 0, result.stdout + result.stderr


async def true(value: bool) -> bool:
    """For ``eventually``, which awaits its check."""
    return value


def new_pid_of(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text())
    except (OSError, ValueError):
        return None


async def test_embedded_redis_killed_is_restarted_by_the_app(
        aiohttp_client, own_database: str, tmp_path: Path) -> None:
    services = Services(redis_url="", database_url=own_database)
    settings = durable_settings(services, tmp_path / "data", redis_url=None)
    client = await aiohttp_client(create_app(settings), server_kwargs={"port": settings.port})
    try:
        spike, buyers = await live_spike(Api(client), STOCK, LIMIT, 60)
        pid_file = tmp_path / "data" / "redis" / "redis.pid"
        first_pid = int(pid_file.read_text())
        rng = random.Random(11)

        async def kill_once() -> None:
            await eventually(lambda: true(len(spike.acked) >= 10), timeout=60, interval=0.01)
            os.kill(first_pid, signal.SIGKILL)

        await asyncio.gather(kill_once(), *[spike.buyer(b, rng.random() * 2.0, 0.25, rng) for b in buyers])
        await eventually(lambda: true(new_pid_of(pid_file) not in (None, first_pid)), timeout=30)
        status, _ = await spike.tap(buyers[0], "after-restart")
        assert status in (201, 409), f"the restarted Redis takes taps again, got {status}"
        rows = await settled(client, spike)
        problems = check(spike.history, stock={spike.offer_id: STOCK}, limit=LIMIT, sql_orders=rows)
        assert not problems, "\n".join(problems[:20])
    finally:
        await client.close()
    assert not process_alive(new_pid_of(pid_file)), "a clean shutdown stops the embedded Redis"
