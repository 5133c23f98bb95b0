"""Redis clients of the app, one place for how they are pooled, bounded and retried. A leaf: it imports nothing
of live/, so the realtime engine, the contexts and the workers can all build clients without importing each
other (issue 12's import cycle went through contexts.py).

With a Redis Cluster (``LIVE_REDIS_CLUSTER=true``, the URL names any one node) the app's client is redis-py's
``RedisCluster``: it speaks the same commands for keys of one slot, routes each by its key and follows
MOVED/ASK itself, so the domain code keeps its one client type (``Redis``, cast below)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError

CLUSTER_CONNECTIONS_PER_NODE = 1000  # redis-py's cluster pool refuses (not waits) past it: keep it generous


def make_redis(url: str, max_connections: int = 64, timeout: float = 5.0) -> Redis:
    """A client whose pool blocks instead of opening a connection per concurrent caller; every call (and the
    wait for a pooled connection) is bounded by ``timeout``. A pooled connection that a Redis restart closed
    fails once on its next use: that call is retried on a fresh connection (twice at most, never on a
    timeout, so the bound holds)."""
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=timeout, socket_timeout=timeout,
        socket_connect_timeout=timeout, decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2), retry_on_error=[RedisConnectionError])
    return Redis(connection_pool=pool)


def make_cluster_redis(url: str, timeout: float = 5.0) -> Redis:
    """A cluster client seeded by one node's URL; every call bounded by ``timeout``."""
    client = RedisCluster.from_url(
        url, max_connections=CLUSTER_CONNECTIONS_PER_NODE, socket_timeout=timeout, socket_connect_timeout=timeout,
        decode_responses=True, retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2))
    return cast(Redis, client)


def open_redis(url: str, cluster: bool, timeout: float = 5.0) -> Redis:
    return make_cluster_redis(url, timeout) if cluster else make_redis(url, timeout=timeout)


def is_cluster(redis: Redis) -> bool:
    return isinstance(redis, RedisCluster)


async def config_of_masters(redis: Redis, pattern: str) -> dict[str, dict[str, str]]:
    """CONFIG GET on every master (the cluster's primaries, or the one server), by node name: what each master
    must answer for itself, such as its persistence settings."""
    if not isinstance(redis, RedisCluster):
        return {"redis": dict(await redis.config_get(pattern))}  # type: ignore[arg-type]  # decoded replies
    await redis.initialize()  # the node list is empty until the client's first command
    return {node.name: await redis.config_get(pattern, target_nodes=node) for node in redis.get_primaries()}


def by_slot(redis: Redis, keys: Iterable[str]) -> list[list[str]]:
    """The keys in groups a multi-key command may take at once: all of them on one server, one group per
    hash slot on a cluster (XREADGROUP over several shows' streams is refused there as CROSSSLOT)."""
    keys = list(keys)
    if not isinstance(redis, RedisCluster):
        return [keys] if keys else []
    groups: dict[int, list[str]] = {}
    for key in keys:
        groups.setdefault(key_slot(key.encode()), []).append(key)
    return list(groups.values())
