"""A purchase spike recorded as a history: buyers tap through the real HTTP app, keep retrying their own
Idempotency-Key while the server answers 503 (as a client honouring Retry-After would, only faster), and
some send their key again after a yes."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.faults.history import History
from tests.helpers import Actor, Api

RETRY_PAUSE = 0.1


@dataclass
class Spike:
    api: Api
    show_id: str
    offer_id: str
    history: History = field(default_factory=History)
    acked: dict[str, Actor] = field(default_factory=dict)  # order id -> its buyer
    unavailable: int = 0  # 503 answers seen
    wall_offset: float = field(default_factory=lambda: time.time() - time.monotonic())

    @property
    def client(self) -> TestClient:
        return self.api.client

    async def tap(self, buyer: Actor, key: str) -> tuple[int, dict[str, Any]]:
        """One request, recorded. A 503 must say when to come back."""
        t0 = time.monotonic()
        try:
            async with self.client.post(f"/api/shows/{self.show_id}/orders", json={"offer_id": self.offer_id},
                                        headers={**buyer.headers, "Idempotency-Key": key}) as response:
                status, body = response.status, await response.json()
                if status == 503:
                    assert response.headers.get("Retry-After"), "a 503 without Retry-After"
                    self.unavailable += 1
        except (aiohttp.ClientError, TimeoutError):
            status, body = 0, {}  # no answer at all: not acknowledged, retried
        order_id = body["order"]["id"] if status in (200, 201) else None
        self.history.record("reserve", status=status, t0=t0, t1=time.monotonic(), key=key, buyer=buyer.id,
                            offer=self.offer_id, quantity=1, order_id=order_id,
                            code=(body.get("error") or {}).get("code"))
        if order_id:
            self.acked[order_id] = buyer
        return status, body

    async def buy(self, buyer: Actor, key: str, give_up_after: float = 60.0) -> tuple[int, dict[str, Any]]:
        """Tap until a definite answer (yes, or a refusal such as sold out)."""
        deadline = time.monotonic() + give_up_after
        while True:
            status, body = await self.tap(buyer, key)
            if status not in (0, 503) or time.monotonic() > deadline:
                return status, body
            await asyncio.sleep(RETRY_PAUSE)

    async def buyer(self, buyer: Actor, start_after: float, repeat_share: float, rng: random.Random) -> None:
        await asyncio.sleep(start_after)
        key = secrets.token_hex(8)
        status, _ = await self.buy(buyer, key)
        if status == 201 and rng.random() < repeat_share:
            await asyncio.sleep(rng.random())
            await self.buy(buyer, key)  # the same tap again: must be the same order

    def wall(self, monotonic: float) -> float:
        return monotonic + self.wall_offset


async def live_spike(api: Api, stock: int, limit: int, buyers: int) -> tuple[Spike, list[Actor]]:
    merchant = await api.merchant()
    show, offer = await api.live_show(merchant, stock=stock, limit=limit)
    viewers = list(await asyncio.gather(*[api.viewer(f"b{i}") for i in range(buyers)]))
    return Spike(api, show["id"], offer["id"]), viewers


async def readable_by_buyers(spike: Spike, excused: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Every acknowledged order as its buyer reads it; returns the problems."""
    problems = []
    for order_id, buyer in spike.acked.items():
        if order_id in excused:
            continue
        status, body = await spike.api.call("GET", f"/api/orders/{order_id}", buyer)
        if status != 200 or body.get("id") != order_id:
            problems.append(f"order {order_id} reads {status} {body}")
    return problems
