"""Test helpers that act like API users: they go through the real HTTP app, nothing is shortcut."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient


@dataclass
class Actor:
    token: str
    user: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def merchant_id(self) -> str:
        return str(self.user["merchant_id"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until ``check`` returns something truthy (background workers finish moments later)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


def unique_email(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(6)}@example.com"


class Api:
    """Creates merchants, hosts, viewers, products and shows through the HTTP API, asserting success."""

    def __init__(self, client: TestClient):
        self.client = client

    async def call(
        self, method: str, path: str, actor: Actor | None = None, json: Any = None, expect: int | None = None,
        headers: dict[str, str] | None = None, keep_cookies: bool = False, data: str | None = None,
    ) -> tuple[int, Any]:
        """One request (a JSON body, or ``data`` of the type in ``headers``); the cookie the API may set is
        dropped unless asked, so an actor-less call is really anonymous."""
        all_headers = dict(actor.headers if actor else {})
        all_headers.update(headers or {})
        async with self.client.request(method, path, json=json, data=data, headers=all_headers) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
        if not keep_cookies:
            self.client.session.cookie_jar.clear()
        if expect is not None:
            assert response.status == expect, f"{method} {path} -> {response.status} {body}"
        return response.status, body

    async def merchant(self, name: str = "Shop") -> Actor:
        _, body = await self.call("POST", "/api/merchants", json={
            "name": name, "email": unique_email("merchant"), "password": "correct-horse-1"}, expect=201)
        return Actor(body["token"], body["user"])

    async def host(self, merchant: Actor, name: str = "Host") -> Actor:
        email = unique_email("host")
        await self.call("POST", "/api/merchants/me/hosts", merchant, json={
            "display_name": name, "email": email, "password": "host-password-1"}, expect=201)
        _, body = await self.call("POST", "/api/sessions", json={"email": email, "password": "host-password-1"},
                                  expect=200)
        return Actor(body["token"], body["user"])

    async def viewer(self, name: str = "Viewer", payment_method: str | None = "pm_card_visa") -> Actor:
        payload: dict[str, Any] = {"display_name": name}
        if payment_method:
            payload["payment_method"] = payment_method
            payload["shipping_address"] = {"name": name, "line1": "1 Main St", "city": "Town",
                                           "postal_code": "12345", "country": "US"}
        _, body = await self.call("POST", "/api/viewers", json=payload, expect=201)
        return Actor(body["token"], body["viewer"])

    async def product(self, merchant: Actor, **fields: Any) -> dict[str, Any]:
        payload = {"sku": f"SKU-{secrets.token_hex(4)}", "title": "Thing", "price_cents": 2500,
                   "currency": "USD", "inventory": 100}
        payload.update(fields)
        _, body = await self.call("POST", "/api/products", merchant, json=payload, expect=201)
        return dict(body)

    async def show(self, merchant: Actor, host: Actor | None = None, **fields: Any) -> dict[str, Any]:
        starts = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        payload = {"title": "Show", "starts_at": starts, "host_id": (host or merchant).id}
        payload.update(fields)
        _, body = await self.call("POST", "/api/shows", merchant, json=payload, expect=201)
        return dict(body)

    async def offer(self, merchant: Actor, show_id: str, product_id: str, **fields: Any) -> dict[str, Any]:
        payload = {"product_id": product_id, "price_cents": 1999, "stock": 10, "per_buyer_limit": 2}
        payload.update(fields)
        _, body = await self.call("POST", f"/api/shows/{show_id}/offers", merchant, json=payload, expect=201)
        return dict(body["offer"])

    async def tap(self, viewer: Actor, show_id: str, offer_id: str, key: str | None = None, quantity: int = 1
                  ) -> tuple[int, Any]:
        """One Buy tap: its own Idempotency-Key unless one is given (a retry)."""
        return await self.call("POST", f"/api/shows/{show_id}/orders", viewer,
                               json={"offer_id": offer_id, "quantity": quantity},
                               headers={"Idempotency-Key": key or secrets.token_hex(8)})

    async def live_show(self, merchant: Actor, stock: int = 10, limit: int = 2, host: Actor | None = None,
                        **offer: Any) -> tuple[dict, dict]:
        """A show that is live with one offer: (show, offer). The merchant hosts it unless ``host`` is given."""
        product = await self.product(merchant, inventory=max(stock, 1) * 2)
        show = await self.show(merchant, host)
        created = await self.offer(merchant, show["id"], product["id"], stock=stock, per_buyer_limit=limit, **offer)
        await self.call("POST", f"/api/shows/{show['id']}/start", merchant, expect=200)
        return show, created


async def sdp_offer(direction: str, kinds: tuple[str, ...] = ("video", "audio")) -> str:
    """A real offer from an aiortc peer (closed right after): 'sendonly' for WHIP, 'recvonly' for WHEP."""
    from aiortc import RTCConfiguration, RTCPeerConnection

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        for kind in kinds:
            pc.addTransceiver(kind, direction=direction)
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()
