"""Recovery from Redis data loss, step by step on the suite's own services: Redis is made to forget what SQL
holds (the newest order, then the whole show) and the rebuild gives back the counters, buyer tallies and
idempotency keys, so a retried key answers its SQL order and no unit SQL holds is sold again."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from live import keys
from live.commerce import recovery, stock
from tests.commerce.checks import assert_reconciled, drained, sql_orders
from tests.helpers import Api


async def test_a_show_redis_is_behind_on_is_rebuilt_from_sql(api: Api, client: TestClient) -> None:
    merchant = await api.merchant()
    show, offer = await api.live_show(merchant, stock=4, limit=2)
    viewers = [await api.viewer(f"v{i}") for i in range(3)]
    taps = [await api.tap(v, show["id"], offer["id"], key=f"key-{i}") for i, v in enumerate(viewers)]
    assert [status for status, _ in taps] == [201, 201, 201]
    await drained(client, show["id"])
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    show_keys = redis_keys.show(show["id"])
    newest = max(await sql_orders(client, show["id"]), key=lambda o: o.updated_at)
    buyer = next(v for v in viewers if v.id == newest.buyer_id)

    async def behind() -> bool:
        async with client.app[keys.sessionmaker_key]() as session:
            return await recovery.redis_is_behind(session, redis, redis_keys, show["id"])

    async def rebuild() -> None:
        async with client.app[keys.sessionmaker_key]() as session:
            await recovery.rebuild_show(session, redis, redis_keys, show["id"])

    assert not await behind()
    # Redis forgets the newest order, as if its last write never reached the disk.
    await redis.hdel(show_keys.orders, newest.id)
    await redis.hdel(show_keys.idempotency, f"{buyer.id}:{newest.idempotency_key}")
    await redis.hdel(show_keys.bought, f"{offer['id']}:{buyer.id}")
    await redis.hincrby(show_keys.stock, offer["id"], 1)
    assert await behind()
    await rebuild()
    assert not await behind()
    remaining = await stock.remaining(redis, redis_keys, show["id"])
    assert remaining[offer["id"]] == 1, "the unit SQL holds is not for sale"
    status, body = await api.tap(buyer, show["id"], offer["id"], key=newest.idempotency_key)
    assert status == 200 and body["order"]["id"] == newest.id, "a retried key answers its SQL order"

    # Redis forgets the whole show: it comes back live with its counters.
    await redis.delete(show_keys.state, *show_keys.ended_keys([offer["id"]]))
    assert await behind()
    await rebuild()
    assert await redis.get(show_keys.state) == "live"
    status, body = await api.tap(await api.viewer("late"), show["id"], offer["id"], key="late")
    assert status == 201 and body["remaining"] == 0
    status, body = await api.tap(await api.viewer("later"), show["id"], offer["id"], key="later")
    assert status == 409 and body["error"]["code"] == "sold_out"
    await assert_reconciled(client, show["id"])
