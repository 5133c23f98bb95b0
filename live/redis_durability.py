"""Is a 201 durable? A reservation is answered once Redis has replied, so it survives a host crash only if
Redis fsyncs its append-only file before it replies: ``appendonly yes`` with ``appendfsync always`` (Redis
fsyncs once per event-loop iteration, so pipelined taps share one fsync). Anything else can lose the last
second or two of acknowledged orders, so the app refuses to start unless told ``LIVE_REDIS_DURABILITY=unsafe``.
On a Redis Cluster every master is asked: a show's orders live on whichever master owns its slot.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from live.redis_clients import config_of_masters


class RedisNotDurable(RuntimeError):
    """Raised with a one-line explanation when the Redis in use could lose an acknowledged order."""


async def persistence_problem(redis: Redis) -> str | None:
    """None if every write is fsynced before Redis answers (on every master); else why not (or why it cannot
    be known)."""
    try:
        replies = await config_of_masters(redis, "append*")
    except ResponseError as exc:  # CONFIG renamed or disabled (some managed Redis services)
        return f"cannot read the Redis persistence settings (CONFIG GET refused: {exc})"
    for node, reply in replies.items():
        problem = _problem(reply)
        if problem:
            return problem if len(replies) == 1 else f"master {node}: {problem}"
    return None


def _problem(reply: dict[str, str]) -> str | None:
    appendonly, appendfsync = reply.get("appendonly"), reply.get("appendfsync")
    if appendonly != "yes":
        return f"Redis has appendonly {appendonly}: an acknowledged order is lost if Redis restarts"
    if appendfsync != "always":
        return f"Redis has appendfsync {appendfsync}: a host crash loses the last second of acknowledged orders"
    return None


async def require_durable(redis: Redis) -> None:
    problem = await persistence_problem(redis)
    if problem:
        raise RedisNotDurable(
            f"refusing to take orders: {problem}; configure Redis with 'appendonly yes' and 'appendfsync always' "
            "(or LIVE_REDIS_APPENDFSYNC=always for the embedded one), or set LIVE_REDIS_DURABILITY=unsafe")
