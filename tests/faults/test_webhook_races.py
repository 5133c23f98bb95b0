"""Fault test 4: the payment provider's webhooks redelivered (at once), arriving before the charge's
reference is stored, arriving while Redis is down, and arriving after the reservation expired: no order is
both charged and expired, and every charge ends paid or refunded; checked over the recorded history.

The app runs on a Redis of the test's own (a redis-server in a temp dir, appendfsync always) so the test can
stop it and start it again on the same data."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from db.models import Order, Payment
from live import keys
from live.commerce import stock, webhooks
from live.redis_server import EmbeddedRedis, find_redis_binary
from tests.conftest import free_port, make_settings, running_client
from tests.faults.history import History, check
from tests.helpers import Actor, Api, eventually
from tests.services import Services

TTL, BUYERS, STOCK = 4, 9, 20


@pytest.fixture
def own_redis(tmp_path: Path) -> AsyncIterator[EmbeddedRedis]:  # type: ignore[misc]
    if find_redis_binary() is None:
        pytest.skip("no redis-server binary")
    server = EmbeddedRedis(tmp_path / "redis", appendfsync="always")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def race_client(aiohttp_client, services: Services, tmp_path: Path,
                      own_redis: EmbeddedRedis) -> AsyncIterator[TestClient]:
    settings = make_settings(services, tmp_path / "data", redis_url=own_redis.url, port=free_port(),
                             reservation_ttl_seconds=TTL, expiry_hold_lag_seconds=2.0,
                             payment_async_delay_seconds=3600.0)  # the test is the provider's webhook sender
    async with running_client(aiohttp_client, settings) as client:
        yield client


class Provider:
    """Sends the provider's signed webhooks to the app, as the provider would (retrying until a 2xx)."""

    def __init__(self, client: TestClient, history: History):
        self.client, self.history = client, history
        self.secret = client.app[keys.settings_key].resolved_webhook_secret()
        self.run = secrets.token_hex(4)  # webhook ids are unique per provider, not per test: never reuse one

    async def deliver(self, webhook_id: str, order_id: str, reference: str) -> tuple[int, dict]:
        body = json.dumps({"type": "payment.succeeded",
                           "data": {"reference": reference, "order_id": order_id}}).encode()
        headers = webhooks.signed_headers(self.secret, f"{webhook_id}_{self.run}", body)
        async with self.client.post("/api/payments/webhook", data=body, headers=headers) as response:
            answer = await response.json()
        self.history.record("pay", status=response.status, order_id=order_id)  # an attempt: its answer
        return response.status, answer

    def charged(self, order_id: str) -> None:
        """The provider took the money (whatever our endpoint answered)."""
        self.history.record("pay", status="succeeded", order_id=order_id)


async def test_webhook_races_never_leave_a_charged_order_expired(
        race_client: TestClient, own_redis: EmbeddedRedis) -> None:
    client = race_client
    api, history = Api(client), History()
    provider = Provider(client, history)
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=STOCK, limit=1)
    buyers: list[Actor] = [await api.viewer(f"B{i}", payment_method="pm_card_async") for i in range(BUYERS)]
    orders: list[str] = []
    for i, buyer in enumerate(buyers):
        t0 = time.monotonic()
        status, body = await api.tap(buyer, show["id"], offer["id"], key=f"tap-{i}")
        assert status == 201
        history.record("reserve", status=status, t0=t0, t1=time.monotonic(), key=f"tap-{i}", buyer=buyer.id,
                       offer=offer["id"], quantity=1, order_id=body["order"]["id"])
        orders.append(body["order"]["id"])

    async def references() -> dict[str, str] | None:
        async with client.app[keys.sessionmaker_key]() as session:
            rows = list(await session.scalars(select(Payment).where(Payment.order_id.in_(orders))))
        found = {p.order_id: p.provider_ref for p in rows if p.provider_ref}
        return found if len(found) == len(orders) else None

    refs: dict[str, str] = await eventually(references, timeout=20)

    # 1. Redelivery: the same event three times at once is applied once.
    for n, order_id in enumerate(orders[0:3]):
        provider.charged(order_id)
        answers = await asyncio.gather(*(provider.deliver(f"evt_dup_{n}", order_id, refs[order_id])
                                         for _ in range(3)))
        assert [s for s, _ in answers] == [200, 200, 200], answers
        assert sorted(a["duplicate"] for _, a in answers) == [False, True, True], answers

    # 2. Out of order: the event overtakes the answer that carried the reference.
    async with client.app[keys.sessionmaker_key]() as session:
        await session.execute(update(Payment).where(Payment.order_id.in_(orders[3:5])).values(provider_ref=None))
        await session.commit()
    for order_id in orders[3:5]:
        provider.charged(order_id)
        status, answer = await provider.deliver(f"evt_early_{order_id}", order_id, refs[order_id])
        assert status == 200 and answer["duplicate"] is False, answer

    # 3. Redis is down when the event comes: 503 (the provider retries), never marked handled.
    await asyncio.to_thread(own_redis.stop)
    try:
        for order_id in orders[5:7]:
            provider.charged(order_id)
            status, answer = await provider.deliver(f"evt_down_{order_id}", order_id, refs[order_id])
            assert status == 503, answer
    finally:
        await asyncio.to_thread(own_redis.start)
    for order_id in orders[5:7]:  # the provider's retry, once Redis is back
        async def delivered(order_id: str = order_id) -> bool:
            status, answer = await provider.deliver(f"evt_down_{order_id}", order_id, refs[order_id])
            return status == 200 and answer["duplicate"] is False
        await eventually(delivered, timeout=20, interval=0.5)

    # 4. Too late: the reservation expired first, so the money goes back.
    late = orders[7]
    viewer = buyers[7]

    async def expired() -> bool:
        _, body = await api.call("GET", f"/api/orders/{late}", viewer, expect=200)
        return body["status"] == "expired"

    await eventually(expired, timeout=4 * TTL)
    history.record("expire", status="expired", order_id=late)
    provider.charged(late)
    status, answer = await provider.deliver("evt_late", late, refs[late])
    assert status == 200, answer
    service = client.app[keys.payment_service_key]
    assert refs[late] in service.provider.refunds
    history.record("refund", status="refunded", order_id=late)

    # The end: SQL agrees, every charge is paid or refunded, nothing is both charged and expired.
    async def settled() -> list[Order] | None:
        async with client.app[keys.sessionmaker_key]() as session:
            rows = list(await session.scalars(select(Order).where(Order.show_id == show["id"])))
        statuses = {r.id: r.status for r in rows}
        wanted = {**{o: "paid" for o in orders[:7]}, late: "expired", orders[8]: "expired"}
        return rows if statuses == wanted else None

    rows = await eventually(settled, timeout=30, interval=0.5)
    async with client.app[keys.sessionmaker_key]() as session:
        payments = {p.order_id: p.status for p in await session.scalars(select(Payment))}
    assert {o: payments[o] for o in orders[:8]} == {**{o: "succeeded" for o in orders[:7]}, late: "refunded"}
    left = await stock.remaining(client.app[keys.redis_key], client.app[keys.redis_keys_key], show["id"])
    problems = check(history, stock={offer["id"]: STOCK}, sql_orders=rows, limit=1, remaining=left)
    assert problems == [], problems
