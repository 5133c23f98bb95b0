"""Fault test 3: poison entries (an order whose buyer SQL does not know, an order whose amount no money
column holds) among 500 good orders of two shows: every good order is in SQL within seconds, and each poison
is in the dead letters with its error, checked over the recorded history."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import Order
from live import keys
from live.commerce import deadletters
from live.commerce.orders import OrderRecord
from live.config import Settings
from live.ids import new_id, new_order_id
from tests.conftest import running_client
from tests.faults.history import History, check
from tests.helpers import Actor, Api, eventually

SHOWS, VIEWERS, TAPS_EACH, LIMIT = 2, 25, 10, 10  # 2 x 25 x 10 = 500 good orders
STOCK = VIEWERS * TAPS_EACH


@pytest.fixture
async def poison_client(aiohttp_client, settings: Settings) -> AsyncIterator[TestClient]:
    async with running_client(aiohttp_client, settings.model_copy(update={"worker_max_deliveries": 2})) as client:
        yield client


def poison_order(show_id: str, offer_id: str, buyer_id: str, price_cents: int) -> dict[str, str]:
    now = int(time.time() * 1000)
    record = OrderRecord(id=new_order_id(show_id), show_id=show_id, offer_id=offer_id, buyer_id=buyer_id,
                         idempotency_key=new_id("key"), quantity=1, price_cents=price_cents, currency="USD",
                         status="reserved", failure_code=None, created_ms=now, expires_ms=now + 600_000,
                         updated_ms=now)
    return {"type": "created", "order": json.dumps(dataclasses.asdict(record))}


async def test_poison_entries_never_hold_back_good_orders(poison_client: TestClient) -> None:
    client = poison_client
    api = Api(client)
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    owner = await api.merchant()
    lineup = [await api.live_show(owner, stock=STOCK, limit=LIMIT) for _ in range(SHOWS)]
    viewers = [await api.viewer(f"V{i}") for i in range(VIEWERS)]
    (show_a, offer_a), (show_b, offer_b) = lineup
    poisons = {
        show_a["id"]: poison_order(show_a["id"], offer_a["id"], new_id("usr"), 100),  # foreign key
        show_b["id"]: poison_order(show_b["id"], offer_b["id"], viewers[0].id, 10**19),  # past BIGINT
    }
    for show_id, fields in poisons.items():  # first in its stream: every batch after it would be pinned
        await redis.xadd(redis_keys.show(show_id).stream, fields)

    history = History()

    async def tap(viewer: Actor, show_id: str, offer_id: str) -> None:
        key, t0 = secrets.token_hex(8), time.monotonic()
        status, body = await api.tap(viewer, show_id, offer_id, key=key)
        history.record("reserve", status=status, t0=t0, t1=time.monotonic(), key=key, buyer=viewer.id,
                       offer=offer_id, quantity=1, order_id=body["order"]["id"] if status == 201 else None)

    started = time.monotonic()
    for show, offer in lineup:
        for _ in range(TAPS_EACH):
            await asyncio.gather(*(tap(v, show["id"], offer["id"]) for v in viewers))
    acknowledged = {e.order_id for e in history.acknowledged()}
    assert len(acknowledged) == SHOWS * VIEWERS * TAPS_EACH

    show_ids = [show["id"] for show, _ in lineup]

    async def good_orders_in_sql() -> list[Order] | None:
        async with client.app[keys.sessionmaker_key]() as session:
            rows = list(await session.scalars(select(Order).where(Order.show_id.in_(show_ids))))
        return rows if acknowledged <= {r.id for r in rows} else None

    rows = await eventually(good_orders_in_sql, timeout=20, interval=0.2)
    assert time.monotonic() - started < 30, "the good orders reached SQL within seconds of their taps"

    async def both_buried() -> list[deadletters.DeadLetter] | None:
        dead = await deadletters.list_dead(redis, redis_keys)
        return dead if len(dead) == 2 else None

    dead = await eventually(both_buried, timeout=40, interval=0.5)
    by_show = {d.show_ids[0]: d for d in dead}
    assert set(by_show) == set(show_ids)
    for show_id, fields in poisons.items():
        assert by_show[show_id].fields == fields and by_show[show_id].group == "persist"
        assert by_show[show_id].error, "the dead letter says why"
    assert "IntegrityError" in by_show[show_a["id"]].error
    stock = {offer["id"]: STOCK for _, offer in lineup}
    problems = check(history, stock=stock, sql_orders=rows, limit=LIMIT)
    assert problems == [], problems
