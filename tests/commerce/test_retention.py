"""Bounded memory: once a show has ended and everything is in SQL, its Redis keys get a lifetime; reconcile
checks the recent shows by default and, with ``--all``, also those whose keys have gone (SQL alone)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from db.models import Show
from live import keys
from live.commerce.reconcile import reconcile
from tests.commerce.checks import drained
from tests.conftest import free_port, make_settings, running_client
from tests.helpers import Api, eventually

TTL = 3600


@pytest.fixture
async def retention_client(aiohttp_client, services, tmp_path: Path) -> AsyncIterator[TestClient]:
    settings = make_settings(services, tmp_path / "data", port=free_port(), redis_ended_show_ttl_seconds=TTL)
    async with running_client(aiohttp_client, settings) as client:
        yield client


async def test_an_ended_settled_show_keys_expire_and_reconcile_keeps_to_recent_shows(
        retention_client: TestClient) -> None:
    api = Api(retention_client)
    merchant = await api.merchant()
    show, offer = await api.live_show(merchant, stock=5, limit=2)
    await api.tap(await api.viewer(), show["id"], offer["id"], quantity=2)
    await drained(retention_client, show["id"])
    redis, redis_keys = retention_client.app[keys.redis_key], retention_client.app[keys.redis_keys_key]
    show_keys = redis_keys.show(show["id"])
    assert await redis.ttl(show_keys.orders) == -1, "a live show's keys never expire"
    await api.call("POST", f"/api/shows/{show['id']}/end", merchant, expect=200)

    async def expiring() -> bool:
        watched = (show_keys.orders, show_keys.stock, show_keys.idempotency, show_keys.offer(offer["id"]))
        ttls = [await redis.ttl(key) for key in watched]
        return all(0 < ttl <= TTL for ttl in ttls)

    await eventually(expiring, timeout=20)
    assert not await redis.sismember(redis_keys.active_shows, show["id"])

    # The keys have gone and the show ended long ago: not a recent show, and --all checks it from SQL alone.
    await redis.delete(*show_keys.ended_keys([offer["id"]]))
    async with retention_client.app[keys.sessionmaker_key]() as session:
        await session.execute(update(Show).where(Show.id == show["id"]).values(
            ended_at=datetime.now(UTC) - timedelta(days=30)))
        await session.commit()
        recent = await reconcile(session, redis, redis_keys, ended_since=datetime.now(UTC) - timedelta(seconds=TTL))
        everything = await reconcile(session, redis, redis_keys)
    assert show["id"] not in {b.show_id for b in recent}
    (archived,) = [b for b in everything if b.show_id == show["id"]]
    assert archived.archived and archived.ok, archived
