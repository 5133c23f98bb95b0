"""The tap's script connection on a real cluster, step by step: scripts of many shows in one batch each run on
their slot's master; during a slot's migration a script on a key already gone is sent on with ASKING (the map
unchanged); after the move a script is answered MOVED, the map reloaded and the script run on the new owner,
once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.crc import key_slot
from redis.exceptions import RedisError

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


async def test_scripts_reach_the_replica_promoted_after_a_master_dies(tmp_path: Path) -> None:
    """The dead master's connection fails (503 meanwhile); the slot map is reloaded from a live node and the
    script runs on the promoted replica."""
    cluster = OwnCluster(tmp_path / "cluster", replicas=1)
    connection = ClusterPipelinedConnection(f"redis://127.0.0.1:{cluster.ports[1]}/0", timeout=2.0)
    try:
        await asyncio.to_thread(cluster.start)
        slot = key_slot(b"failing")
        await wait_until_ok(connection, 1)  # replication is asynchronous: wait until the replica has it
        master = await asyncio.to_thread(cluster.owner, slot)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.kill9, master)
        failures = await wait_until_ok(connection, 2)
        assert failures > 0, "the dead master's callers must have been told"
        promoted = await asyncio.to_thread(cluster.owner, slot)
        assert promoted != master and connection.owners[slot] == f"127.0.0.1:{promoted}"
    finally:
        connection.close()
        await asyncio.to_thread(cluster.stop)


async def wait_until_ok(connection: ClusterPipelinedConnection, expected: int, timeout: float = 30.0) -> int:
    """Run INCR on the key until it answers (``expected``); returns how many attempts failed first."""
    deadline = asyncio.get_running_loop().time() + timeout
    failures = 0
    while True:
        try:
            value = (await run(connection, [["EVAL", INCR, 1, "{failing}:n"]]))[0]
            assert value == expected, value
            return failures
        except RedisError:
            failures += 1
            assert asyncio.get_running_loop().time() < deadline, "the promoted replica never answered"
            await asyncio.sleep(0.2)
