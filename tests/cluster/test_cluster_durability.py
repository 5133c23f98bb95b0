"""Start-up refuses a cluster on which any one master could lose an acknowledged order: each master holds the
orders of the shows on its slots, so each is asked for its own persistence settings."""

from __future__ import annotations

from redis.asyncio import Redis

from live.redis_clients import make_cluster_redis
from live.redis_durability import persistence_problem
from tests.cluster.conftest import OwnCluster


async def test_every_master_must_fsync_before_it_answers(own_cluster: OwnCluster) -> None:
    cluster = make_cluster_redis(own_cluster.url)
    lax = Redis(host="127.0.0.1", port=own_cluster.ports[-1], decode_responses=True)
    try:
        assert await persistence_problem(cluster) is None
        await lax.config_set("appendfsync", "everysec")
        problem = await persistence_problem(cluster)
        assert problem is not None
        assert f"127.0.0.1:{own_cluster.ports[-1]}" in problem and "appendfsync everysec" in problem
    finally:
        await lax.aclose()
        await cluster.aclose()
