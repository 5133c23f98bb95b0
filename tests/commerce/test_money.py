"""Money is 64-bit with documented caps: the largest tap the API accepts (1000 units at 1,000,000.00) is
persisted and paid on either database; anything past the caps is a 422."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import Order, Payment
from live import keys
from live.schemas.common import MAX_PRICE_CENTS, MAX_QUANTITY_PER_TAP
from tests.commerce.checks import drained
from tests.helpers import Api, eventually


async def test_the_largest_tap_is_persisted_and_paid(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=MAX_QUANTITY_PER_TAP, limit=MAX_QUANTITY_PER_TAP,
                                      price_cents=MAX_PRICE_CENTS)
    viewer = await api.viewer()
    status, body = await api.tap(viewer, show["id"], offer["id"], quantity=MAX_QUANTITY_PER_TAP)
    assert status == 201, body
    amount = MAX_PRICE_CENTS * MAX_QUANTITY_PER_TAP
    assert body["order"]["amount_cents"] == amount > 2**31

    async def paid() -> bool:
        async with client.app[keys.sessionmaker_key]() as session:
            payment = await session.scalar(select(Payment).where(Payment.order_id == body["order"]["id"]))
            order = await session.get(Order, body["order"]["id"])
        return payment is not None and payment.amount_cents == amount and payment.status == "succeeded" \
            and order is not None and order.status == "paid"

    assert await eventually(paid, timeout=20)
    await drained(client, show["id"])


async def test_amounts_past_the_caps_are_refused(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    status, body = await api.call("POST", "/api/products", owner, json={
        "sku": "BIG", "title": "Big", "price_cents": MAX_PRICE_CENTS + 1, "currency": "USD", "inventory": 1})
    assert status == 422 and body["error"]["code"] == "validation_error"
    show, offer = await api.live_show(owner, stock=5, limit=5)
    status, body = await api.call("PATCH", f"/api/shows/{show['id']}/offers/{offer['id']}", owner,
                                  json={"price_cents": MAX_PRICE_CENTS + 1})
    assert status == 422, body
    viewer = await api.viewer()
    status, body = await api.tap(viewer, show["id"], offer["id"], quantity=MAX_QUANTITY_PER_TAP + 1)
    assert status == 422 and "quantity" in body["error"]["message"]
