"""The tap's script connection on a real cluster, step by step: scripts of many shows in one batch each run on
their slot's master; during a slot's migration a script on a key already gone is sent on with ASKING (the map
unchanged); after the move a script is answered MOVED, the map reloaded and the script run on the new owner,
once."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.crc import key_slot

from live.commerce.cluster_pipeline import ClusterPipelinedConnection
from live.commerce.pipeline import Command
from tests.cluster.conftest import OwnCluster

INCR = "return redis.call('INCR', KEYS[1])"


async def run(connection: ClusterPipelinedConnection, commands: list[Command]) -> list[Any]:
    protocol = await connection.open()
    futures = [asyncio.get_running_loop().create_future() for _ in commands]
    connection.submit(protocol, commands, futures)
    return list(await asyncio.gather(*futures))


async def test_scripts_follow_their_slot_through_a_migration(own_cluster: OwnCluster) -> None:
    nodes = {port: Redis(host="127.0.0.1", port=port, decode_responses=True) for port in own_cluster.ports}
    connection = ClusterPipelinedConnection(own_cluster.url, timeout=5.0)
    try:
        tags = [f"show:{i}" for i in range(30)]
        assert await run(connection, [["EVAL", INCR, 1, f"{{{tag}}}:n"] for tag in tags]) == [1] * 30
        for tag in tags:  # each on its own slot's master
            owner = await asyncio.to_thread(own_cluster.owner, key_slot(tag.encode()))
            assert await nodes[owner].execute_command("GET", f"{{{tag}}}:n") == "1"
        assert len({await asyncio.to_thread(own_cluster.owner, key_slot(t.encode())) for t in tags}) == 3

        slot = key_slot(b"moving")
        source = await asyncio.to_thread(own_cluster.owner, slot)
        target = next(port for port in own_cluster.ports if port != source)
        ids = {port: await node.execute_command("CLUSTER", "MYID") for port, node in nodes.items()}
        assert await run(connection, [["EVAL", INCR, 1, "{moving}:old"]]) == [1]
        await nodes[target].execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[source])
        await nodes[source].execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[target])

        # A key the source does not hold is asked for at the target.
        assert await run(connection, [["EVAL", INCR, 1, "{moving}:new"]]) == [1]
        assert connection.redirections["ASK"] == 1
        assert connection.owners[slot] == f"127.0.0.1:{source}", "ASK leaves the slot map alone"
        # A key still on the source runs there.
        assert await run(connection, [["EVAL", INCR, 1, "{moving}:old"]]) == [2]

        await nodes[source].execute_command("MIGRATE", "127.0.0.1", target, "", 0, 5000, "KEYS", "{moving}:old")
        for port in (target, source, *(p for p in own_cluster.ports if p not in (source, target))):
            await nodes[port].execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids[target])
        assert await run(connection, [["EVAL", INCR, 1, "{moving}:old"]]) == [3], "run once, on the new owner"
        assert connection.redirections["MOVED"] == 1
        assert connection.owners[slot] == f"127.0.0.1:{target}"
        assert await nodes[target].execute_command("GET", "{moving}:old") == "3"
        assert await nodes[target].execute_command("GET", "{moving}:new") == "1"
    finally:
        connection.close()
        for node in nodes.values():
            await node.aclose()
