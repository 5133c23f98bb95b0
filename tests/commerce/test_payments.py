"""Payment outcomes through the sandbox provider (the only faked part: it stands for a third party) and its
signed webhooks over real HTTP: paid, declined, async, expired, refunds, and webhook security."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import Payment
from live import keys
from live.commerce import webhooks
from live.config import Settings
from tests.commerce.checks import assert_reconciled, drained, sql_orders
from tests.conftest import free_port, make_settings, running_client
from tests.helpers import Actor, Api, eventually


async def status_of(api: Api, viewer, order_id: str) -> str:
    _, body = await api.call("GET", f"/api/orders/{order_id}", viewer, expect=200)
    return str(body["status"])


async def wait_status(api: Api, viewer, order_id: str, wanted: str, timeout: float = 15) -> None:
    async def reached() -> bool:
        return await status_of(api, viewer, order_id) == wanted

    await eventually(reached, timeout=timeout)


async def one_order(api: Api, payment_method: str, stock: int, limit: int = 2) -> tuple[dict, dict, Actor, str]:
    """A live show with one offer, and one viewer's order in it (201): (show, offer, viewer, order id)."""
    show, offer = await api.live_show(await api.merchant(), stock=stock, limit=limit)
    viewer = await api.viewer(payment_method=payment_method)
    status, body = await api.tap(viewer, show["id"], offer["id"])
    assert status == 201
    return show, offer, viewer, body["order"]["id"]


async def payment_of(client: TestClient, order_id: str) -> Payment | None:
    async with client.app[keys.sessionmaker_key]() as session:
        return await session.scalar(select(Payment).where(Payment.order_id == order_id))


@pytest.fixture
async def short_ttl_client(aiohttp_client, services, tmp_path: Path) -> AsyncIterator[TestClient]:
    """Reservations last 1 s and async payments take 60 s, so reservations expire first."""
    settings: Settings = make_settings(services, tmp_path / "data", port=free_port(), reservation_ttl_seconds=1,
                                       payment_async_delay_seconds=60)
    async with running_client(aiohttp_client, settings) as client:
        yield client


async def test_declined_payment_returns_stock_and_frees_the_limit(api: Api, client: TestClient) -> None:
    show, offer, viewer, order_id = await one_order(api, "pm_card_declined", stock=1, limit=1)
    await wait_status(api, viewer, order_id, "payment_failed")
    _, order = await api.call("GET", f"/api/orders/{order_id}", viewer, expect=200)
    assert order["failure_code"] == "card_declined"
    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert detail["offers"][0]["remaining"] == 1, "the unit is back on sale"
    _, changed = await api.call("PATCH", "/api/viewers/me", viewer, json={"payment_method": "pm_card_visa"},
                                expect=200)
    viewer.token = changed["token"]
    status, again = await api.tap(viewer, show["id"], offer["id"])
    assert status == 201, "the limit was freed"
    await wait_status(api, viewer, again["order"]["id"], "paid")
    payment = await payment_of(client, order_id)
    assert payment is not None and payment.status == "failed" and payment.failure_code == "card_declined"
    await assert_reconciled(client, show["id"])


async def test_async_method_is_paid_by_signed_webhook(api: Api, client: TestClient) -> None:
    show, _offer, viewer, order_id = await one_order(api, "pm_card_async", stock=3)

    async def pending_with_reference() -> bool:
        payment = await payment_of(client, order_id)
        return payment is not None and payment.status == "pending" and bool(payment.provider_ref)

    await eventually(pending_with_reference)
    assert await status_of(api, viewer, order_id) == "reserved"
    await wait_status(api, viewer, order_id, "paid")

    async def recorded() -> bool:  # Redis says paid first; the payment's record follows in SQL
        payment = await payment_of(client, order_id)
        return payment is not None and payment.status == "succeeded"

    await eventually(recorded)
    await drained(client, show["id"])
    assert [r.status for r in await sql_orders(client, show["id"])] == ["paid"]


async def test_unpaid_reservation_expires_returns_stock_and_late_payment_is_refunded(
        short_ttl_client: TestClient) -> None:
    api = Api(short_ttl_client)
    show, offer, viewer, order_id = await one_order(api, "pm_card_async", stock=1, limit=1)
    await wait_status(api, viewer, order_id, "expired", timeout=10)
    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert detail["offers"][0]["remaining"] == 1
    status, _again = await api.tap(viewer, show["id"], offer["id"])
    assert status == 201, "the buyer can buy again after the reservation expired"

    # The provider's success arrives after the expiry: refunded, never sold twice.
    service = short_ttl_client.app[keys.payment_service_key]
    payment = await payment_of(short_ttl_client, order_id)
    assert payment is not None and payment.provider_ref
    body_bytes = json.dumps({"type": "payment.succeeded", "data": {"reference": payment.provider_ref}}).encode()
    headers = webhooks.signed_headers(short_ttl_client.app[keys.settings_key].resolved_webhook_secret(),
                                      "evt_late", body_bytes)
    async with short_ttl_client.post("/api/payments/webhook", data=body_bytes, headers=headers) as response:
        assert response.status == 200
    refunded = await payment_of(short_ttl_client, order_id)
    assert refunded is not None and refunded.status == "refunded"
    assert payment.provider_ref in service.provider.refunds
    assert await status_of(api, viewer, order_id) == "expired"


async def test_webhook_rejects_bad_stale_and_missing_signatures(api: Api, client: TestClient) -> None:
    secret = client.app[keys.settings_key].resolved_webhook_secret()
    body = json.dumps({"type": "payment.succeeded", "data": {"reference": "ch_nothing"}}).encode()
    cases = [
        ({"Content-Type": "application/json"}, 400, "invalid_webhook"),
        ({**webhooks.signed_headers(secret, "evt_1", body), "webhook-signature": "v1,AAAA"}, 401, "bad_signature"),
        (webhooks.signed_headers("whsec_" + "QUJD" * 8, "evt_2", body), 401, "bad_signature"),
        (webhooks.signed_headers(secret, "evt_3", body, timestamp=1_000_000_000), 400, "stale_webhook"),
        (webhooks.signed_headers(secret, "evt_4", b'{"type": "other"}'), 401, "bad_signature"),
    ]
    for headers, status, code in cases:
        async with client.post("/api/payments/webhook", data=body, headers=headers) as response:
            answer = await response.json()
            assert response.status == status and answer["error"]["code"] == code, (headers, answer)
    unknown = webhooks.signed_headers(secret, "evt_5", body)
    for _ in range(2):  # a payment we do not know (yet): 503, so the provider retries; never marked handled
        async with client.post("/api/payments/webhook", data=body, headers=unknown) as response:
            answer = await response.json()
            assert response.status == 503 and answer["error"]["code"] == "payment_unknown", answer
            assert int(response.headers["Retry-After"]) > 0
    _, _, _, order_id = await one_order(api, "pm_card_async", stock=1)

    async def reference() -> str | None:
        payment = await payment_of(client, order_id)
        return payment.provider_ref if payment else None

    known = json.dumps({"type": "payment.succeeded", "data": {"reference": await eventually(reference)}}).encode()
    good = webhooks.signed_headers(secret, "evt_7", known)
    for duplicate in (False, True):
        async with client.post("/api/payments/webhook", data=known, headers=good) as response:
            assert response.status == 200
            assert (await response.json())["duplicate"] is duplicate
    bad_body = b'{"type": "payment.exploded", "data": {}}'
    async with client.post("/api/payments/webhook", data=bad_body,
                           headers=webhooks.signed_headers(secret, "evt_6", bad_body)) as response:
        assert response.status == 422


async def test_show_end_returns_unsold_and_later_expired_units_to_inventory(short_ttl_client: TestClient) -> None:
    api = Api(short_ttl_client)
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=5)
    viewer = await api.viewer(payment_method="pm_card_async")
    status, body = await api.tap(viewer, show["id"], offer["id"], quantity=2)
    assert status == 201
    await api.call("POST", f"/api/shows/{show['id']}/end", owner, expect=200)
    _, product = await api.call("GET", f"/api/products/{offer['product_id']}", owner, expect=200)
    assert product["inventory"] == 5 + 3, "the 3 unsold units came back (the product had 10, 5 allocated)"
    await wait_status(api, viewer, body["order"]["id"], "expired", timeout=10)

    async def all_back() -> bool:
        _, p = await api.call("GET", f"/api/products/{offer['product_id']}", owner, expect=200)
        return bool(p["inventory"] == 10)

    await eventually(all_back)
    balance = (await assert_reconciled(short_ttl_client, show["id"]))[0]
    assert (balance.remaining, balance.returned, balance.reserved) == (0, 5, 0)
