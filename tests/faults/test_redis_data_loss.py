"""Redis loses its newest writes (a host crash under a non-durable setting, or a restore from an older copy),
simulated with ``aof-timestamp-enabled`` and ``redis-check-aof --truncate-to-timestamp <kill second - 1>``
before the restart. SQL already holds some of the lost orders: the app notices that Redis is behind SQL and
rebuilds the show from SQL before it takes taps again, so no unit SQL holds is sold again, a retried key
answers its SQL order, and the persister never loops on a collision. Only the orders that were in neither
store when Redis came back are lost, and only those acknowledged in the dropped second (truncating an AOF
also drops writes that were fsynced: this measures recovery, not the durable mode)."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import Order
from live import keys
from tests.conftest import running_client
from tests.faults.conftest import OwnRedis
from tests.faults.history import History, check
from tests.faults.spike import live_spike, readable_by_buyers
from tests.faults.test_redis_crash import durable_settings, reconcile_cli, settled, true
from tests.helpers import Api, eventually
from tests.services import Services

STOCK, LIMIT, BUYERS, SPREAD_SECONDS = 200, 1, 320, 5.0


async def test_truncated_aof_is_rebuilt_from_sql(
        aiohttp_client, fault_services: Services, own_redis: OwnRedis, tmp_path: Path) -> None:
    if not own_redis.timestamps:
        pytest.skip("this redis-server has no aof-timestamp-enabled (Redis 7.0 or newer needed)")
    settings = durable_settings(fault_services, tmp_path / "data")
    async with running_client(aiohttp_client, settings) as client:
        spike, buyers = await live_spike(Api(client), STOCK, LIMIT, BUYERS)
        rng = random.Random(12)
        killed_at: list[float] = []
        dropped_from: list[int] = []  # the truncation keeps every write of the seconds before this one

        async def crash_and_lose_the_last_second() -> None:
            await eventually(lambda: true(len(spike.acked) >= 60), timeout=60, interval=0.01)
            while time.time() % 1 < 0.7:  # late in a second: the dropped window holds persisted orders
                await asyncio.sleep(0.005)
            killed_at.append(time.time())
            own_redis.kill9()
            # The second before the kill, or earlier if the persister lagged (a loaded machine), so that SQL
            # certainly holds some of the orders the truncation drops.
            async with client.app[keys.sessionmaker_key]() as session:
                newest = await session.scalar(select(func.max(Order.created_at)).where(
                    Order.show_id == spike.show_id))
            assert newest is not None, "nothing reached SQL before the kill"
            dropped_from.append(min(int(killed_at[0]), int(newest.timestamp())))
            await asyncio.to_thread(own_redis.truncate_to, dropped_from[0] - 1)
            await asyncio.to_thread(own_redis.start)

        await asyncio.gather(crash_and_lose_the_last_second(),
                             *[spike.buyer(b, rng.random() * SPREAD_SECONDS, 0.0, rng) for b in buyers])
        # Everyone who was told yes sends the same tap again: the order SQL holds, never a second one.
        await asyncio.gather(*[spike.buy(buyer, _key_of(spike.history, order_id))
                               for order_id, buyer in list(spike.acked.items())])
        rows = await settled(client, spike)

        in_sql = {row.id for row in rows}
        lost = {e.order_id for e in spike.history.acknowledged() if e.order_id not in in_sql}
        early = [e for e in spike.history.acknowledged() if e.order_id in lost
                 and spike.wall(e.t1) < dropped_from[0] - 0.05]
        assert not early, f"orders acknowledged before the dropped second were lost: {early[:5]}"
        rebuilt = [row for row in rows if dropped_from[0] <= row.created_at.timestamp() < killed_at[0]]
        assert rebuilt, "SQL held none of the dropped second's orders: the recovery was not exercised"

        history = History([e for e in spike.history.events if e.order_id not in lost])
        problems = check(history, stock={spike.offer_id: STOCK}, limit=LIMIT, sql_orders=rows)
        problems += await readable_by_buyers(spike, excused={order_id for order_id in lost if order_id is not None})
        assert not problems, "\n".join(problems[:20])
        redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
        assert await redis.xlen(redis_keys.show(spike.show_id).stream) == 0, "the persister is stuck"
        async with client.app[keys.sessionmaker_key]() as session:
            units = sum(o.quantity for o in await session.scalars(
                select(Order).where(Order.show_id == spike.show_id, Order.status.in_(("reserved", "paid")))))
        assert units <= STOCK
        result = await asyncio.to_thread(reconcile_cli, settings, spike.show_id)
        assert result.returncode == 0, result.stdout + result.stderr


def _key_of(history: History, order_id: str) -> str:
    return next(e.key for e in history.acknowledged() if e.order_id == order_id and e.key)
