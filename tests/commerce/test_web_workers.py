"""``live serve --workers 2``: two web processes on one port really both answer, the background workers run
in a child of their own at a lower priority, a child that dies is replaced, and the order guarantees hold
when the taps of one buyer, even the retries of one tap, land on different processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from db.models import Order
from db.session import make_engine, make_sessionmaker
from live import redis_server
from live.commerce.reconcile import reconcile, wait_quiescent
from live.redis_clients import make_redis
from live.rediskeys import RedisKeys
from tests.conftest import delete_prefixed, free_port
from tests.helpers import Api, eventually
from tests.processes import RemoteClient, ServerProcess, new_prefix, server_env, serving
from tests.services import Services


@pytest.fixture
def two_workers(services: Services, tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    with serving(services, tmp_path / "data", "workers-secret-", workers=2) as running:
        yield running


@pytest.fixture
async def api(two_workers: tuple[ServerProcess, str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(base_url=two_workers[0].url) as session:
        yield Api(RemoteClient(session))  # type: ignore[arg-type]


async def _answering_pids(url: str, tries: int = 200) -> set[int]:
    """The pids that answer /healthz healthy over fresh connections (each one the kernel hands to a listener)."""
    seen: set[int] = set()
    for _ in range(tries):
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http, \
                http.get(f"{url}/healthz") as response:
            if response.status == 200:
                seen.add((await response.json())["pid"])
        if len(seen) > 1:
            break
    return seen


async def test_two_workers_both_answer_and_a_lower_priority_child_runs_the_background_workers(
        two_workers: tuple[ServerProcess, str], api: Api, services: Services) -> None:
    server, prefix = two_workers
    pids = server.worker_pids()
    assert len(pids) == 2
    assert await _answering_pids(server.url) == set(pids), "both workers take connections on the one port"

    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5)
    assert (await api.tap(await api.viewer(), show["id"], offer["id"]))[0] == 201
    redis = make_redis(services.redis_url)
    try:
        stream = RedisKeys(prefix).show(show["id"]).stream

        async def persisters() -> set[int]:
            groups = {g["name"] for g in await redis.xinfo_groups(stream)} if await redis.exists(stream) else set()
            if "persist" not in groups:
                return set()
            consumers = await redis.xinfo_consumers(stream, "persist")
            return {int(c["name"].rsplit("-", 2)[1]) for c in consumers}  # host-pid-tag

        background = server.background_pid()
        assert background is not None and background not in pids
        found = await eventually(persisters, timeout=20)
        assert found == {background}, f"the background child persists, not {found} (web: {pids})"
        assert os.getpriority(os.PRIO_PROCESS, background) - os.getpriority(os.PRIO_PROCESS, pids[0]) == 10, \
            "taps come first: the background child runs at LIVE_WORKER_NICE below the web workers"
    finally:
        await redis.aclose()

    os.kill(pids[1], signal.SIGKILL)
    os.kill(background, signal.SIGKILL)

    async def replaced() -> bool:
        now, child = server.worker_pids(), server.background_pid()
        return (len(now) == 2 and pids[1] not in now and child not in (None, background)
                and len(await _answering_pids(server.url)) == 2)

    await eventually(replaced, timeout=30, interval=0.2)


async def test_order_guarantees_hold_across_two_workers(
        two_workers: tuple[ServerProcess, str], api: Api, services: Services) -> None:
    """The same key fifty times at once is one order; a spike sells exactly the stock within the limits, and
    every 201 is in SQL once."""
    _, prefix = two_workers
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=60, limit=2)
    viewer = await api.viewer()
    results = await asyncio.gather(*[api.tap(viewer, show["id"], offer["id"], key="tap-42") for _ in range(50)])
    assert sorted(status for status, _ in results) == [200] * 49 + [201]
    assert len({body["order"]["id"] for _, body in results}) == 1

    viewers = await asyncio.gather(*[api.viewer(f"v{i}") for i in range(150)])
    taps = [viewers[i % 150] for i in range(600)]
    spike = await asyncio.gather(*[api.tap(v, show["id"], offer["id"]) for v in taps])
    won = [(v, body["order"]) for v, (status, body) in zip(taps, spike, strict=True) if status == 201]
    assert all(status in (201, 409) for status, _ in spike)
    assert sum(order["quantity"] for _, order in won) == 60 - 1
    per_buyer: dict[str, int] = {}
    for v, order in won:
        per_buyer[v.id] = per_buyer.get(v.id, 0) + order["quantity"]
    assert max(per_buyer.values()) <= 2

    engine, redis, redis_keys = make_engine(services.database_url), make_redis(services.redis_url), RedisKeys(prefix)
    try:
        assert await wait_quiescent(redis, redis_keys, [show["id"]], timeout=30), "the workers did not catch up"
        async with make_sessionmaker(engine)() as session:
            rows = list(await session.scalars(select(Order.id).where(Order.show_id == show["id"])))
            (balance,) = await reconcile(session, redis, redis_keys, show["id"])
        expected = sorted([results[0][1]["order"]["id"], *(order["id"] for _, order in won)])
        assert sorted(rows) == expected, "every 201 in SQL, once"
        assert balance.ok, balance.problems
    finally:
        await redis.aclose()
        await engine.dispose()


async def test_the_parent_owns_the_embedded_redis_and_restarts_it(services: Services, tmp_path: Path) -> None:
    """One embedded Redis for both workers, started by the parent: killed, it is started again on its files
    and both workers answer again; a clean stop of the parent stops it."""
    data = tmp_path / "data"
    env = server_env(services, data, new_prefix(), "workers-secret-" + secrets.token_hex(16))
    del env["LIVE_REDIS_URL"]
    server = ServerProcess(env, free_port(), workers=2).start()
    try:
        assert server.process is not None
        assert int((data / "redis" / "owner.pid").read_text()) == server.process.pid
        first = int((data / "redis" / "redis.pid").read_text())
        os.kill(first, signal.SIGKILL)

        async def restarted() -> bool:
            try:
                pid = int((data / "redis" / "redis.pid").read_text())
            except (OSError, ValueError):
                return False
            return pid != first and len(await _answering_pids(server.url)) == 2

        await eventually(restarted, timeout=30, interval=0.2)
    finally:
        server.stop()
    assert server.process is not None and server.process.returncode == 0
    assert not (data / "redis" / "owner.pid").exists(), "stopped with the parent"


async def test_children_stop_when_the_parent_dies_while_they_start(services: Services, tmp_path: Path) -> None:
    """A SIGKILLed parent takes every child with it, also the ones still starting: a child that read its
    parent's pid only at the end of its start-up read init's, and served on as an orphan."""
    prefix = new_prefix()
    env = {**server_env(services, tmp_path / "data", prefix, secrets.token_urlsafe(32)),
           "LIVE_PORT": str(free_port()), "LIVE_WEB_WORKERS": "2"}
    parent = await asyncio.create_subprocess_exec(sys.executable, "-m", "live", "serve", env=env,
                                                  stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    children: list[int] = []
    try:
        async def all_started() -> bool:
            children[:] = [int(p) for p in Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()]
            return len(children) == 3  # two web workers and the background child, none of them serving yet

        await eventually(all_started, timeout=30, interval=0.01)
        parent.kill()
        await parent.wait()

        async def all_gone() -> bool:
            return not any(redis_server.process_alive(pid) for pid in children)  # a zombie counts as gone

        await eventually(all_gone, timeout=30, interval=0.1)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await delete_prefixed(services.redis_url, prefix)
