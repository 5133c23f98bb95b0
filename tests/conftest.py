"""Shared fixtures: real Redis and a real database per run, a fresh app per test, and API helpers."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

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


def make_settings(services: Services, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": services.database_url,
        "redis_url": services.redis_url,
        "redis_prefix": f"t{secrets.token_hex(4)}:",
        "secret_key": "test-secret-" + secrets.token_hex(16),
        "public_url": "http://testserver",
        "run_workers": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    return make_settings(services, tmp_path / "data")


async def delete_prefixed(redis_url: str, prefix: str) -> None:
    """Remove every key this test made (its own prefix), leaving other runs' data alone."""
    client = Redis.from_url(redis_url)
    try:
        batch = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for i in range(0, len(batch), 500):
            await client.delete(*batch[i : i + 500])
    finally:
        await client.aclose()


@pytest.fixture
async def client(aiohttp_client, settings: Settings) -> AsyncIterator[TestClient]:  # type: ignore[no-untyped-def]
    test_client = await aiohttp_client(create_app(settings))
    yield test_client
    await delete_prefixed(settings.redis_url or "", settings.redis_prefix)


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
