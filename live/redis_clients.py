"""Redis clients as the app opens them: a leaf module, so that any part (the app, the socket.io manager, the
CLI, tests) can open one without importing the composition root."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


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
