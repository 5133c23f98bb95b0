"""The persistence worker on its own, over real Redis and SQL: batches are idempotent, a final status is
never overwritten, and entries a crashed consumer left pending are claimed by another."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from live import keys
from live.commerce.persist import OrderPersister
from live.signals import Signal
from tests.commerce.checks import sql_orders
from tests.helpers import Api


async def test_pending_entries_of_a_dead_consumer_are_claimed(api: Api, client: TestClient) -> None:
    """Consumer 'dead' reads entries and never acknowledges them (it crashed); 'alive' claims and writes them."""
    settings = client.app[keys.settings_key]
    assert settings.run_workers
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=10)
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    stream = redis_keys.show(show["id"]).stream

    # Stop this app's own workers from racing us: read the entries under a consumer that then 'dies'.
    await redis.xgroup_create(stream, "persist", id="0", mkstream=True)
    for task in asyncio.all_tasks():
        if task.get_name() in ("order-persister", "payment-capturer"):
            task.cancel()
    ids = [(await api.tap(await api.viewer(), show["id"], offer["id"]))[1]["order"]["id"] for _ in range(4)]
    read = await redis.xreadgroup("persist", "dead", {stream: ">"}, count=100)
    assert len(read[0][1]) == 4
    assert await sql_orders(client, show["id"]) == []

    alive = OrderPersister(redis, redis_keys, client.app[keys.sessionmaker_key], Signal("test"), "alive", min_idle_ms=1)
    handled = await alive.run_once()
    assert handled == 4
    rows = await sql_orders(client, show["id"])
    assert sorted(r.id for r in rows) == sorted(ids)
    assert await redis.xlen(stream) == 0, "acknowledged entries are deleted"
    assert (await redis.xpending(stream, "persist"))["pending"] == 0


async def test_final_status_is_never_overwritten_by_a_late_reserved(api: Api, client: TestClient) -> None:
    from live.commerce.orders import OrderRecord
    from live.commerce.persist import upsert_orders

    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    viewer = await api.viewer()
    _, body = await api.tap(viewer, show["id"], offer["id"])
    order = body["order"]
    base = dict(id=order["id"], show_id=show["id"], offer_id=offer["id"], buyer_id=viewer.id,
                idempotency_key="k", quantity=1, price_cents=1, currency="USD", failure_code=None,
                created_ms=1, expires_ms=2, updated_ms=3)
    async with client.app[keys.sessionmaker_key]() as session:
        await upsert_orders(session, [OrderRecord(status="paid", **base)])
        await upsert_orders(session, [OrderRecord(status="reserved", **base)])
        await upsert_orders(session, [OrderRecord(status="expired", **base)])
        await session.commit()
    rows = await sql_orders(client, show["id"])
    assert [r.status for r in rows] == ["paid"]
