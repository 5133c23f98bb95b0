"""Helpers for the reach tests: affiliates made through the API, attributed taps, waiting for the ledger."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp.test_utils import TestClient

from tests.helpers import Actor, Api, eventually, unique_email


async def affiliate(api: Api, merchant: Actor, percent: float = 10, per_new_buyer_cents: int = 500,
                    name: str = "Influencer") -> tuple[dict[str, Any], Actor]:
    """An affiliate of the merchant and the affiliate's signed-in account."""
    email = unique_email("aff")
    _, body = await api.call("POST", "/api/merchants/me/affiliates", merchant, json={
        "display_name": name, "email": email, "password": "affiliate-pass-1",
        "commission": {"percent": percent, "per_new_buyer_cents": per_new_buyer_cents}}, expect=201)
    _, session = await api.call("POST", "/api/sessions", json={"email": email, "password": "affiliate-pass-1"},
                                expect=200)
    return body["affiliate"], Actor(session["token"], session["user"])


async def attributed_tap(api: Api, viewer: Actor, show_id: str, offer_id: str, ref: str | None = None,
                         utm: dict[str, str] | None = None, quantity: int = 1) -> dict[str, Any]:
    payload: dict[str, Any] = {"offer_id": offer_id, "quantity": quantity}
    if ref:
        payload["ref"] = ref
    if utm:
        payload["utm"] = utm
    _, body = await api.call("POST", f"/api/shows/{show_id}/orders", viewer, json=payload,
                             headers={"Idempotency-Key": secrets.token_hex(8)}, expect=201)
    return dict(body["order"])


async def paid(api: Api, viewer: Actor, order_id: str) -> None:
    async def check() -> bool:
        _, body = await api.call("GET", f"/api/orders/{order_id}", viewer, expect=200)
        return body["status"] == "paid"

    await eventually(check)


async def ledger_of(api: Api, merchant: Actor, affiliate_id: str) -> dict[str, Any]:
    _, body = await api.call("GET", f"/api/merchants/me/affiliates/{affiliate_id}/ledger", merchant, expect=200)
    return dict(body)


async def ledger_with(api: Api, merchant: Actor, affiliate_id: str, entries: int) -> dict[str, Any]:
    """The ledger once it has ``entries`` entries (the persister writes them moments after the payment)."""
    async def check() -> dict[str, Any] | None:
        body = await ledger_of(api, merchant, affiliate_id)
        return body if len(body["entries"]) >= entries else None

    return dict(await eventually(check))


async def no_redirect(client: TestClient, path: str) -> tuple[int, str, str | None]:
    """GET without following the redirect: (status, Location, the live_ref cookie set)."""
    async with client.get(path, allow_redirects=False) as response:
        cookie = response.cookies.get("live_ref")
        return response.status, response.headers.get("Location", ""), cookie.value if cookie else None
