"""Our webhook signatures against the reference Standard Webhooks package (it signs, we verify; we sign, it
verifies), header names in any case, and events that overtake the answer they confirm."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update
from standardwebhooks import Webhook, WebhookVerificationError

from db.models import Payment
from live import keys
from live.commerce import webhooks
from live.errors import DomainError
from tests.commerce.test_payments import one_order, payment_of, status_of
from tests.helpers import Api, eventually

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"type": "payment.succeeded", "data": {"reference": "ch_1"}}'


def test_reference_package_signs_and_we_verify() -> None:
    stamp = datetime.now(UTC)
    signature = Webhook(SECRET).sign("msg_1", stamp, BODY.decode())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(stamp.timestamp())),
               "webhook-signature": signature}
    assert webhooks.verify(SECRET, headers, BODY) == "msg_1"
    with pytest.raises(DomainError):
        webhooks.verify(SECRET, headers, BODY + b" ")


def test_we_sign_and_the_reference_package_verifies() -> None:
    headers = webhooks.signed_headers(SECRET, "msg_2", BODY)
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY.replace(b"ch_1", b"ch_2"), headers)


def test_header_names_are_case_insensitive() -> None:
    headers = webhooks.signed_headers(SECRET, "msg_3", BODY, timestamp=int(time.time()))
    for fold in (str.title, str.upper):
        assert webhooks.verify(SECRET, {fold(k): v for k, v in headers.items()}, BODY) == "msg_3"


async def test_title_case_headers_over_http_and_an_event_that_overtakes_its_reference(
        api: Api, client: TestClient) -> None:
    """The event names our order id and a reference we have not stored yet (it overtook the provider's answer):
    it is applied by order id, and a correctly signed ``Webhook-Id`` (title case) is accepted."""
    secret = client.app[keys.settings_key].resolved_webhook_secret()
    _, _, viewer, order_id = await one_order(api, "pm_card_async", stock=1)

    async def reference() -> str | None:
        payment = await payment_of(client, order_id)
        return payment.provider_ref if payment else None

    charge = await eventually(reference)
    async with client.app[keys.sessionmaker_key]() as session:  # the moment before the answer was stored
        await session.execute(update(Payment).where(Payment.order_id == order_id).values(provider_ref=None))
        await session.commit()
    body = json.dumps({"type": "payment.succeeded", "data": {"reference": charge, "order_id": order_id}}).encode()
    headers = {k.title(): v for k, v in webhooks.signed_headers(secret, "evt_overtake", body).items()}
    async with client.post("/api/payments/webhook", data=body, headers=headers) as response:
        assert response.status == 200, await response.text()
    assert await status_of(api, viewer, order_id) == "paid"
    payment = await payment_of(client, order_id)
    assert payment is not None and payment.status == "succeeded" and payment.provider_ref == charge
