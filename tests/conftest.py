"""Shared fixtures: real Redis and a real database per run, a fresh app per test, and API helpers."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp.web_app
import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from live.app import create_app
from live.config import Settings
from live.redis_server import EmbeddedRedis
from tests.helpers import Api
from tests.services import (
    REDIS_URL_ENV,
    Services,
    create_database,
    drop_database,
    migrate_to_head,
)

pytest_plugins = ["tests.watchdog"]  # a stuck test prints its threads' and asyncio tasks' stacks


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    tmp = tmp_path_factory.mktemp("services")
    embedded = None
    redis_url = os.environ.get(REDIS_URL_ENV)
    if not redis_url:
        embedded = EmbeddedRedis(tmp / "redis-data", appendfsync="everysec")
        redis_url = embedded.start()
    database_url = create_database("suite", tmp)
    asyncio.run(migrate_to_head(database_url))
    try:
        yield Services(redis_url=redis_url, database_url=database_url)
    finally:
        drop_database(database_url)
        if embedded:
            embedded.stop()


@pytest.fixture(autouse=True)
def _no_apps_kept_between_tests() -> Iterator[None]:
    """aiohttp caches each handler's middleware chain (an lru_cache of 1,024 entries keyed by the handler and
    its applications), which keeps hundreds of finished tests' apps alive: a million objects by mid-suite,
    and collector pauses of over a second that starve any test with a deadline. A server has one app; the
    suite has one per test, so it forgets them."""
    yield
    aiohttp.web_app._cached_build_middleware.cache_clear()


# The suite's hundreds of buyers all come from 127.0.0.1, as if behind one carrier's NAT: the limit of new
# viewers per address is raised for it. tests/security checks every limit at its threshold; the browser tests
# run with the production defaults.
SUITE_LOAD_LIMITS = {"limit_viewers_per_address": "100000/minute"}


def make_settings(services: Services, data_dir: Path, production_limits: bool = False,
                  **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": services.database_url,
        "redis_url": services.redis_url,
        "redis_prefix": f"t{secrets.token_hex(4)}:",
        "secret_key": "test-secret-" + secrets.token_hex(16),
        "public_url": "http://testserver",
        "run_workers": True,
        # The suite's Redis is the embedded one with everysec or the machine's with appendonly no: the fault
        # tests check the durable default on a redis-server of their own.
        "redis_durability": "unsafe",
        # Every test's shows share the suite's database under their own Redis prefix: a recovery check would
        # find the other tests' live shows missing from this prefix. The fault tests turn it on.
        "redis_recovery": False,
        "ice_allow_loopback": True,  # every peer of the suite runs on this machine
    }
    if not production_limits:
        values.update(SUITE_LOAD_LIMITS)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    """The test server listens on ``settings.port``, so the sandbox provider's webhooks reach it."""
    return make_settings(services, tmp_path / "data", port=free_port())


async def delete_prefixed(redis_url: str, prefix: str) -> None:
    """Remove every key this test made (its own prefix), leaving other runs' data alone."""
    client = Redis.from_url(redis_url)
    try:
        batch = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(batch), 500):
            await client.delete(*batch[i : i + 500])
    finally:
        await client.aclose()


@asynccontextmanager
async def running_client(aiohttp_client, settings: Settings) -> AsyncIterator[TestClient]:
    """The app served on ``settings.port``; afterwards its workers stop before its keys are removed."""
    test_client = await aiohttp_client(create_app(settings), server_kwargs={"port": settings.port})
    try:
        yield test_client
    finally:
        await test_client.close()
        if not settings.redis_cluster:  # a test's own cluster is thrown away whole
            await delete_prefixed(settings.redis_url or "", settings.redis_prefix)


@pytest.fixture
async def client(aiohttp_client, settings: Settings) -> AsyncIterator[TestClient]:
    async with running_client(aiohttp_client, settings) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
