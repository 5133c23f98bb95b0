"""One order the capture cannot record (an amount no money column holds) never blocks the other orders of
its payment batch: they are paid within seconds, and it goes to the dead letters with its error."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from live import keys
from live.commerce import deadletters
from live.commerce.orders import OrderRecord
from live.config import Settings
from live.ids import new_order_id
from tests.commerce.test_payments import status_of
from tests.conftest import running_client
from tests.helpers import Api, eventually


@pytest.fixture
async def two_delivery_client(aiohttp_client, settings: Settings) -> AsyncIterator[TestClient]:
    async with running_client(aiohttp_client, settings.model_copy(update={"worker_max_deliveries": 2})) as c:
        yield c


async def test_an_order_capture_cannot_record_never_blocks_the_batch(two_delivery_client: TestClient) -> None:
    client = two_delivery_client
    api = Api(client)
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=50, limit=1)
    buyer = await api.viewer()
    now = int(time.time() * 1000)
    poison = OrderRecord(id=new_order_id(show["id"]), show_id=show["id"], offer_id=offer["id"], buyer_id=buyer.id,
                         idempotency_key="poison", quantity=1, price_cents=10**19, currency="USD",
                         status="reserved", failure_code=None, created_ms=now, expires_ms=now + 600_000,
                         updated_ms=now)
    await redis.hset(redis_keys.show(show["id"]).orders, poison.id, json.dumps(dataclasses.asdict(poison)))
    await redis.xadd(redis_keys.payments_stream, {"order_ids": poison.id, "since_ms": str(now)})

    viewers = [await api.viewer() for _ in range(12)]
    orders = []
    for viewer in viewers:
        status, body = await api.tap(viewer, show["id"], offer["id"])
        assert status == 201
        orders.append((viewer, body["order"]["id"]))

    async def all_paid() -> bool:
        return all([await status_of(api, v, o) == "paid" for v, o in orders])

    started = time.monotonic()
    await eventually(all_paid, timeout=15)
    assert time.monotonic() - started < 15

    async def buried() -> list[deadletters.DeadLetter]:
        return await deadletters.list_dead(redis, redis_keys, show["id"])

    (dead,) = await eventually(buried, timeout=30)
    assert dead.group == "payments" and dead.fields["order_ids"] == poison.id
    assert "Overflow" in dead.error or "int64" in dead.error or "out of range" in dead.error, dead.error


async def test_a_charge_whose_answer_was_never_recorded_is_asked_again(api: Api, client: TestClient) -> None:
    """The database went away after the provider charged and before the answer was written: the payment row
    is still pending with no reference while the order is paid in Redis. The redelivered payments entry asks
    the provider again (idempotent by order id) and records the same charge; nothing is refunded."""
    from sqlalchemy import update

    from db.models import Payment
    from tests.commerce.test_payments import one_order, payment_of

    _, _, viewer, order_id = await one_order(api, "pm_card_visa", stock=1)

    async def succeeded() -> Payment | None:
        payment = await payment_of(client, order_id)
        return payment if payment is not None and payment.status == "succeeded" else None

    charge = (await eventually(succeeded)).provider_ref
    async with client.app[keys.sessionmaker_key]() as session:
        await session.execute(update(Payment).where(Payment.order_id == order_id)
                              .values(status="pending", provider_ref=None))
        await session.commit()
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    await redis.xadd(redis_keys.payments_stream, {"order_ids": order_id, "since_ms": str(int(time.time() * 1000))})
    recorded = await eventually(succeeded)
    assert recorded.provider_ref == charge
    assert await status_of(api, viewer, order_id) == "paid"
    assert charge not in client.app[keys.payment_service_key].provider.refunds
