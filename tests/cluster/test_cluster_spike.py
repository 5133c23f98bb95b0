"""The order spike against a real three-master Redis Cluster, with the show's slot moved to another master in
the middle of it (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE key by key, SETSLOT NODE): taps keep being
answered (the pipelined tap connection follows ASK, TRYAGAIN and MOVED), nothing acknowledged is lost, no
key makes two orders, nothing is oversold, the workers persist everything, ``live reconcile`` agrees."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.crc import key_slot

from live import keys
from live.commerce import stock
from live.commerce.cluster_pipeline import ClusterPipelinedConnection
from tests.cluster.conftest import OwnCluster
from tests.conftest import running_client
from tests.faults.history import check
from tests.faults.spike import live_spike, readable_by_buyers
from tests.faults.test_redis_crash import durable_settings, reconcile_cli, settled, true
from tests.helpers import Api, eventually
from tests.services import Services

STOCK, BUYERS, SPREAD_SECONDS = 150, 240, 3.0
KEYS_PER_MIGRATE, MIGRATE_PAUSE_SECONDS = 10, 0.02  # keeps the slot half-moved for a while as taps arrive


async def move_slot(cluster: OwnCluster, slot: int, source: int, target: int,
                    before_handover: Callable[[], Awaitable[None]] | None = None) -> None:
    """Reshard one slot by hand, as ``redis-cli --cluster reshard`` does, a few keys at a time;
    ``before_handover`` is awaited with the slot still half-moved (keys on both sides)."""
    nodes = {port: Redis(host="127.0.0.1", port=port, decode_responses=True) for port in cluster.ports}
    try:
        ids = {port: await node.execute_command("CLUSTER", "MYID") for port, node in nodes.items()}
        await nodes[target].execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[source])
        await nodes[source].execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[target])
        while keys_left := await nodes[source].execute_command("CLUSTER", "GETKEYSINSLOT", slot, KEYS_PER_MIGRATE):
            await nodes[source].execute_command("MIGRATE", "127.0.0.1", target, "", 0, 5000, "KEYS", *keys_left)
            await asyncio.sleep(MIGRATE_PAUSE_SECONDS)
        if before_handover is not None:
            await before_handover()
        for port in (target, source, *(p for p in cluster.ports if p not in (source, target))):
            await nodes[port].execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids[target])
    finally:
        for node in nodes.values():
            await node.aclose()


def script_connection_of(client: Any) -> ClusterPipelinedConnection:
    connection = client.app[keys.order_desk_key]._reserve.connection
    assert isinstance(connection, ClusterPipelinedConnection), "the cluster app must route taps by slot"
    return connection


async def test_spike_on_a_cluster_with_the_show_slot_resharded_loses_nothing(
        aiohttp_client, own_cluster: OwnCluster, own_database: str, tmp_path: Path) -> None:
    services = Services(redis_url=own_cluster.url, database_url=own_database)
    settings = durable_settings(services, tmp_path / "data", redis_cluster=True)
    async with running_client(aiohttp_client, settings) as client:
        spike, buyers = await live_spike(Api(client), STOCK, 1, BUYERS)
        slot = key_slot(client.app[keys.redis_keys_key].show(spike.show_id).base.encode())
        source = await asyncio.to_thread(own_cluster.owner, slot)
        target = next(port for port in own_cluster.ports if port != source)
        rng = random.Random(13)

        async def reshard() -> None:
            await eventually(lambda: true(len(spike.acked) >= 30), timeout=60, interval=0.01)
            # The slot stays half-moved until a tap met it (ASK or TRYAGAIN), however the machine is loaded.
            await move_slot(own_cluster, slot, source, target, lambda: eventually(
                lambda: true(sum(script_connection_of(client).redirections[k] for k in ("ASK", "TRYAGAIN")) > 0),
                timeout=20, interval=0.01))

        shoppers = [spike.buyer(b, rng.random() * SPREAD_SECONDS, 0.25, rng) for b in buyers]
        await asyncio.gather(reshard(), *shoppers)
        assert await asyncio.to_thread(own_cluster.owner, slot) == target
        followed = script_connection_of(client).redirections
        assert followed["MOVED"] > 0, f"taps after the move must have been redirected to the new owner: {followed}"
        assert followed["ASK"] + followed["TRYAGAIN"] > 0, f"taps must have come during the move: {followed}"
        rows = await settled(client, spike)
        left = await stock.remaining(client.app[keys.redis_key], client.app[keys.redis_keys_key], spike.show_id)
        problems = check(spike.history, stock={spike.offer_id: STOCK}, limit=1, sql_orders=rows, remaining=left)
        problems += await readable_by_buyers(spike)
        assert not problems, "\n".join(problems[:20])
        assert len(spike.acked) == STOCK, "every unit sold once the buyers' retries were answered"
        result = await asyncio.to_thread(reconcile_cli, settings, spike.show_id)
        assert result.returncode == 0, result.stdout + result.stderr
