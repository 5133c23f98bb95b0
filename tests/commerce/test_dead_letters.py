"""The persister cannot be blocked: a batch with an entry SQL refuses is written entry by entry, the refused
entry goes to the dead letters after its deliveries (with its error) and can be retried once the cause is
fixed; a pending backlog is claimed at batch speed."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from db.models import Order, User
from live import keys
from live.cli import dead_letters
from live.commerce import deadletters
from live.commerce.orders import OrderRecord
from live.commerce.persist import OrderPersister, upsert_orders
from live.config import Settings
from live.ids import new_id, new_order_id
from live.rediskeys import RedisKeys
from live.signals import Signal
from tests.commerce.checks import sql_orders
from tests.conftest import running_client
from tests.helpers import Api, eventually

MAX_DELIVERIES = 3


@pytest.fixture
async def quiet_client(aiohttp_client, settings: Settings) -> AsyncIterator[TestClient]:
    """The app without its own workers: each test runs the persister it describes."""
    async with running_client(aiohttp_client, settings.model_copy(update={"run_workers": False})) as client:
        yield client


def persister(client: TestClient, name: str = "p1") -> OrderPersister:
    return OrderPersister(client.app[keys.redis_key], client.app[keys.redis_keys_key],
                          client.app[keys.sessionmaker_key], Signal("test"), name, min_idle_ms=1,
                          max_deliveries=MAX_DELIVERIES, block_ms=10)


def record(show_id: str, offer_id: str, buyer_id: str, key: str | None = None, **changes: object) -> OrderRecord:
    now = int(time.time() * 1000)
    base = OrderRecord(id=new_order_id(show_id), show_id=show_id, offer_id=offer_id, buyer_id=buyer_id,
                       idempotency_key=key or new_id("key"), quantity=1, price_cents=100, currency="USD",
                       status="reserved", failure_code=None, created_ms=now, expires_ms=now + 60_000,
                       updated_ms=now)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def add_events(redis: Redis, redis_keys: RedisKeys, records: list[OrderRecord]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for r in records:
            as_json = json.dumps({**dataclasses.asdict(r)})
            pipe.xadd(redis_keys.show(r.show_id).stream, {"type": "created", "order": as_json})
        await pipe.execute()


async def drain(worker: OrderPersister, until: float = 20.0) -> None:
    """Run the persister until its streams are empty (every entry written or dead), bounded in time."""
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        await worker.run_once()
        lengths = [await worker.redis.xlen(s) for s in await worker.streams()]
        if not any(lengths):
            return
    raise AssertionError(f"the persister did not drain its streams: {lengths}")


@dataclasses.dataclass
class Sale:
    """A live show with one offer and one viewer, and the app's Redis: what each test here starts from."""

    redis: Redis
    redis_keys: RedisKeys
    show_id: str
    offer_id: str
    viewer_id: str

    def record(self, key: str | None = None) -> OrderRecord:
        return record(self.show_id, self.offer_id, self.viewer_id, key)


async def a_sale(client: TestClient, stock: int = 100) -> Sale:
    api = Api(client)
    show, offer = await api.live_show(await api.merchant(), stock=stock, limit=stock)
    viewer = await api.viewer()
    return Sale(client.app[keys.redis_key], client.app[keys.redis_keys_key], show["id"], offer["id"], viewer.id)


async def test_a_refused_entry_never_blocks_the_good_ones(quiet_client: TestClient) -> None:
    sale = await a_sale(quiet_client)
    redis, redis_keys, show_id = sale.redis, sale.redis_keys, sale.show_id
    good = [sale.record() for _ in range(40)]
    ghost = new_id("usr")  # a buyer SQL does not know: a foreign-key failure
    poison = record(show_id, sale.offer_id, ghost)
    await add_events(redis, redis_keys, [*good[:20], poison, *good[20:]])

    worker = persister(quiet_client)
    first_pass = await worker.run_once()
    assert first_pass == 40, "the batch was retried entry by entry: every good order is written at once"
    assert sorted(o.id for o in await sql_orders(quiet_client, show_id)) == sorted(r.id for r in good)

    await drain(worker)
    (dead,) = await deadletters.list_dead(redis, redis_keys, show_id)
    assert json.loads(dead.fields["order"])["id"] == poison.id
    assert dead.group == "persist" and dead.deliveries == MAX_DELIVERIES
    assert "IntegrityError" in dead.error or "ForeignKey" in dead.error or "foreign key" in dead.error.lower()
    assert await deadletters.list_dead(redis, redis_keys, "shw_0000") == [], "--show filters by show"

    # The cause is fixed (the buyer exists now): a retry puts it back and the persister writes it.
    async with quiet_client.app[keys.sessionmaker_key]() as session:
        session.add(User(id=ghost, role="viewer", display_name="Late"))
        await session.commit()
    assert await deadletters.retry(redis, redis_keys, dead.id) is not None
    assert await deadletters.list_dead(redis, redis_keys) == []
    await drain(worker)
    assert poison.id in {o.id for o in await sql_orders(quiet_client, show_id)}


async def test_a_unique_key_collision_goes_to_the_dead_letters_instead_of_looping(quiet_client: TestClient) -> None:
    """After Redis lost data, a buyer's retried key may make a second order id for a key SQL already has."""
    sale = await a_sale(quiet_client)
    redis, redis_keys, show_id = sale.redis, sale.redis_keys, sale.show_id
    original = sale.record(key="tap-1")
    async with quiet_client.app[keys.sessionmaker_key]() as session:
        await upsert_orders(session, [original])
        await session.commit()
    twin = sale.record(key="tap-1")
    same = dataclasses.replace(original, status="paid")  # the same order again is simply written
    later = sale.record()
    await add_events(redis, redis_keys, [twin, same, later])

    await drain(persister(quiet_client))
    rows = {o.id: o.status for o in await sql_orders(quiet_client, show_id)}
    assert rows == {original.id: "paid", later.id: "reserved"}
    (dead,) = await deadletters.list_dead(redis, redis_keys, show_id)
    assert json.loads(dead.fields["order"])["id"] == twin.id
    assert "IntegrityError" in dead.error


async def test_the_command_lists_and_retries_dead_letters(quiet_client: TestClient, settings: Settings,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    redis, redis_keys = quiet_client.app[keys.redis_key], quiet_client.app[keys.redis_keys_key]
    stream = redis_keys.show("shw_00aa").stream
    await redis.xadd(stream, {"type": "created", "order": "{}"})
    dead_id = await deadletters.bury(redis, redis_keys, group="persist", stream=stream, entry_id="1-1",
                                     fields={"type": "created", "order": "{}"}, show_ids=["shw_00aa"],
                                     error="DataError: out of range", deliveries=5)
    assert await dead_letters(redis, redis_keys, "shw_00aa", None) == 0
    out = capsys.readouterr().out
    assert dead_id in out and "DataError: out of range" in out and "1 dead letter(s)" in out
    assert await dead_letters(redis, redis_keys, "shw_00bb", None) == 0
    assert "0 dead letter(s)" in capsys.readouterr().out
    assert await dead_letters(redis, redis_keys, None, "9-9") == 1, "an unknown id is an error"
    assert await dead_letters(redis, redis_keys, None, dead_id) == 0
    assert await redis.xlen(redis_keys.dead_letters) == 0
    assert "shw_00aa" in await redis.smembers(redis_keys.active_shows)


BACKLOG = 5000


async def test_a_pending_backlog_is_claimed_at_batch_speed(quiet_client: TestClient) -> None:
    """A consumer died holding 5,000 entries: its successor walks the pending list with XAUTOCLAIM's cursor
    instead of one batch per claim interval (which was 40 entries/s)."""
    sale = await a_sale(quiet_client, stock=10)
    redis, redis_keys, show_id = sale.redis, sale.redis_keys, sale.show_id
    stream = redis_keys.show(show_id).stream
    records = [sale.record() for _ in range(BACKLOG)]
    for i in range(0, BACKLOG, 1000):
        await add_events(redis, redis_keys, records[i:i + 1000])
    await redis.xgroup_create(stream, "persist", id="0")
    while await redis.xreadgroup("persist", "dead", {stream: ">"}, count=1000):
        pass  # the dead consumer read them all and never acknowledged
    assert (await redis.xpending(stream, "persist"))["pending"] == BACKLOG

    worker = persister(quiet_client, "successor")
    worker.min_idle_ms = 200  # claims start once the entries are this idle; a claim walk does not wait for it
    worker.block_ms = 500  # as in production: a read that waits for new entries must not slow the walk
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await drain(worker, until=60)
    elapsed = time.monotonic() - started
    async with quiet_client.app[keys.sessionmaker_key]() as session:
        from sqlalchemy import func, select
        count = await session.scalar(select(func.count()).where(Order.show_id == show_id))
    assert count == BACKLOG
    assert elapsed < 15, f"{BACKLOG} pending entries took {elapsed:.1f} s (one batch per claim interval: 125 s; " \
        "waiting 500 ms for new entries between claims: 25 s)"
    await eventually(lambda: _no_pending(redis, stream))


async def _no_pending(redis: Redis, stream: str) -> bool:
    return int((await redis.xpending(stream, "persist"))["pending"]) == 0
