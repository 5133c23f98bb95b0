"""Helpers for the community tests: a buyer with a paid order, through the real tap, payment and worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.helpers import Actor, Api, eventually


@dataclass
class Purchase:
    merchant: Actor
    show: dict[str, Any]
    offer: dict[str, Any]
    buyer: Actor
    order_id: str

    @property
    def product_id(self) -> str:
        return str(self.offer["product_id"])


async def paid_in_sql(api: Api, buyer: Actor, order_id: str) -> dict[str, Any]:
    """Waits until the worker wrote the order as paid (what the community rules read)."""
    async def paid() -> dict[str, Any] | None:
        _, body = await api.call("GET", "/api/me/orders", buyer, expect=200)
        return next((o for o in body["orders"] if o["id"] == order_id and o["status"] == "paid"), None)

    return dict(await eventually(paid))


async def buy(api: Api, buyer: Actor, show: dict[str, Any], offer: dict[str, Any]) -> str:
    status, body = await api.tap(buyer, show["id"], offer["id"])
    assert status == 201, body
    await paid_in_sql(api, buyer, body["order"]["id"])
    return str(body["order"]["id"])


async def purchase(api: Api, merchant: Actor | None = None, buyer: Actor | None = None, **live: Any) -> Purchase:
    """A live show with one offer and one paid order of it."""
    merchant = merchant or await api.merchant()
    show, offer = await api.live_show(merchant, **live)
    buyer = buyer or await api.viewer("Buyer")
    return Purchase(merchant, show, offer, buyer, await buy(api, buyer, show, offer))


async def review(api: Api, p: Purchase, rating: int = 5, body: str = "Great", **extra: Any) -> dict[str, Any]:
    _, created = await api.call("POST", f"/api/products/{p.product_id}/reviews", p.buyer,
                                json={"rating": rating, "body": body, **extra}, expect=201)
    return dict(created)
