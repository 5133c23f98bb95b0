"""Two server processes (``python -m live serve``) sharing the database and Redis: what happens through one
reaches the clients of the other."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.common import free_port, wait_healthy
from tests.conftest import delete_prefixed
from tests.helpers import Api
from tests.processes import RemoteClient
from tests.realtime.conftest import Socket
from tests.services import Services


@contextlib.contextmanager
def two_servers(redis_url: str, database_url: str, tmp_path: Path, role: str, workers: int = 1,
                **env_extra: str) -> Iterator[tuple[list[str], str]]:
    """Two servers on their own ports, one database, one Redis, one key prefix, in one role, each of one web
    process or of several (``--workers``). Yields (urls, prefix)."""
    prefix = f"t{secrets.token_hex(4)}:"
    env = {**os.environ, "LIVE_DATABASE_URL": database_url, "LIVE_REDIS_URL": redis_url,
           "LIVE_REDIS_PREFIX": prefix, "LIVE_SECRET_KEY": "cluster-secret-" + secrets.token_hex(16),
           "LIVE_LOG_LEVEL": "WARNING", "LIVE_REDIS_DURABILITY": "unsafe", "LIVE_REDIS_RECOVERY": "false",
           **env_extra}
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "live", "serve", "--port", str(port), "--role", role,
                              "--workers", str(workers)],
                              env={**env, "LIVE_DATA_DIR": str(tmp_path / f"data{i}")})
             for i, port in enumerate(ports)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            asyncio.run(wait_healthy(url, proc, timeout=30 * workers))  # each worker imports and opens the app
        yield urls, prefix
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(params=[("all", 1), ("web", 1), ("all", 2)], ids=["all", "web", "all-workers2"])
def cluster(services: Services, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[list[str], str]]:
    """Two servers sharing the suite's services, in one role (``all``, or ``web`` as behind a load balancer,
    with media on other nodes), each of one web process or of two (``--workers 2``). Yields (urls, prefix)."""
    role, workers = request.param
    with two_servers(services.redis_url, services.database_url, tmp_path, role, workers) as (urls, prefix):
        try:
            yield urls, prefix
        finally:
            asyncio.run(delete_prefixed(services.redis_url, prefix))


@pytest.fixture
async def remote_api(cluster: tuple[list[str], str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(base_url=cluster[0][0]) as session:
        yield Api(RemoteClient(session))  # type: ignore[arg-type]


async def _socket(url: str, **kw: Any) -> Socket:
    return await Socket(url).connect(**kw)


async def test_what_goes_through_one_process_reaches_the_clients_of_the_other(
        cluster: tuple[list[str], str], remote_api: Api, services: Services) -> None:
    await what_goes_through_one_reaches_the_other(cluster[0], remote_api)


async def what_goes_through_one_reaches_the_other(urls: list[str], api: Api) -> None:
    """Card, stock, chat, viewer count and a ban, each done through the first server, as the second's
    viewers see them."""
    url_a, url_b = urls
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=40)
    on_a = await _socket(url_a, actor=await api.viewer("On A"))
    on_b = await _socket(url_b, actor=await api.viewer("On B"))
    try:
        await on_a.join(show["id"])
        snapshot = await on_b.join(show["id"])
        assert snapshot["stock"] == {offer["id"]: 40}

        # A card pushed through A's HTTP endpoint.
        await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
        assert (await on_b.wait_for("card"))["card"]["id"] == offer["id"]

        # An order placed through A's HTTP endpoint: B's viewers see the stock go down.
        status, _ = await api.tap(await api.viewer("Buyer on A"), show["id"], offer["id"], quantity=2)
        assert status == 201
        assert (await on_b.wait_for("stock", lambda e: e["stock"] == {offer["id"]: 38}))["show_id"] == show["id"]

        # Chat written through A; the count of viewers in both.
        ack = await on_a.call("chat", {"show_id": show["id"], "text": "hello from A"})
        assert (await on_b.wait_for("chat"))["message"] == ack["message"]
        await on_b.wait_for("viewers", lambda e: e["count"] == 2)
        await on_a.wait_for("viewers", lambda e: e["count"] == 2)

        # A ban decided in A takes the viewer on B out of the room.
        await api.call("POST", f"/api/shows/{show['id']}/moderation", owner,
                       json={"user_id": snapshot["you"]["user_id"], "action": "ban"}, expect=200)
        assert (await on_b.wait_for("moderated"))["action"] == "ban"
        await api.call("DELETE", f"/api/shows/{show['id']}/cards/current", owner, expect=200)
        await on_a.wait_for("card", lambda e: e["card"] is None)
        await asyncio.sleep(0.2)
        assert [e["card"] is None for e in on_b.events["card"]] == [False]
    finally:
        await on_a.close()
        await on_b.close()
