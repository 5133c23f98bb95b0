"""Assertions over the real storage after the workers are done: SQL rows, Redis counters, reconcile."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from db.models import Order
from live import keys
from live.commerce.reconcile import OfferBalance, reconcile, wait_quiescent


async def sql_orders(client: TestClient, show_id: str) -> list[Order]:
    async with client.app[keys.sessionmaker_key]() as session:
        return list(await session.scalars(select(Order).where(Order.show_id == show_id)))


async def drained(client: TestClient, show_id: str, timeout: float = 30.0) -> None:
    """Wait until the workers have written every order event and captured every payment they were given."""
    quiet = await wait_quiescent(client.app[keys.redis_key], client.app[keys.redis_keys_key], [show_id], timeout)
    assert quiet, "the workers did not catch up"


async def balances(client: TestClient, show_id: str) -> list[OfferBalance]:
    async with client.app[keys.sessionmaker_key]() as session:
        return await reconcile(session, client.app[keys.redis_key], client.app[keys.redis_keys_key], show_id)


async def assert_reconciled(client: TestClient, show_id: str) -> list[OfferBalance]:
    await drained(client, show_id)
    found = await balances(client, show_id)
    assert found, "reconcile found no offers"
    for balance in found:
        assert balance.ok, f"{balance.offer_id}: {balance.problems} {balance}"
    return found


async def sql_count(client: TestClient, show_id: str) -> int:
    async with client.app[keys.sessionmaker_key]() as session:
        return int(await session.scalar(select(func.count()).where(Order.show_id == show_id)) or 0)
