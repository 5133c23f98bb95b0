"""Stream entries that kept failing, set aside so they never block the entries behind them.

One stream per deployment (``live:dead_letters``): each entry names the consumer group and stream it came
from, the original entry id and fields, the shows it concerns, and the error. ``retry`` puts the original
fields back on their stream once the cause is fixed (the handlers are idempotent, so a retry is safe).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from live.redis_clients import is_cluster
from live.rediskeys import RedisKeys

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str  # the entry in the dead-letter stream
    group: str
    stream: str
    entry_id: str
    fields: dict[str, str]
    show_ids: list[str]
    error: str
    deliveries: int
    failed_ms: int

    @classmethod
    def from_entry(cls, dead_id: str, data: dict[str, str]) -> DeadLetter:
        return cls(
            id=dead_id, group=data["group"], stream=data["stream"], entry_id=data["entry_id"],
            fields=json.loads(data["fields"]), show_ids=data.get("show_ids", "").split(),
            error=data.get("error", ""), deliveries=int(data.get("deliveries") or 0),
            failed_ms=int(data.get("failed_ms") or 0),
        )

    def describe(self) -> str:
        shows = ",".join(self.show_ids) or "-"
        return (f"{self.id}  group={self.group} shows={shows} entry={self.entry_id} "
                f"deliveries={self.deliveries}\n    error: {self.error}\n    fields: {json.dumps(self.fields)}")


async def bury(redis: Redis, redis_keys: RedisKeys, *, group: str, stream: str, entry_id: str, fields: dict[str, str],
               show_ids: list[str], error: str, deliveries: int) -> str:
    """Record the entry as dead, then acknowledge and delete it from its stream (in one MULTI, so it is
    never both pending and dead, nor neither). On a Redis Cluster the dead letters' stream is on another slot
    than the show's: it is recorded first, so a crash in between leaves it both (buried twice), never neither."""
    dead = {"group": group, "stream": stream, "entry_id": entry_id, "fields": json.dumps(fields),
            "show_ids": " ".join(show_ids), "error": error[:MAX_ERROR_LENGTH], "deliveries": str(deliveries),
            "failed_ms": str(int(time.time() * 1000))}
    cluster = is_cluster(redis)
    dead_id = await redis.xadd(redis_keys.dead_letters, dead) if cluster else None  # type: ignore[arg-type]
    async with redis.pipeline(transaction=True) as pipe:
        if not cluster:
            pipe.xadd(redis_keys.dead_letters, dead)  # type: ignore[arg-type]
        pipe.xack(stream, group, entry_id)
        pipe.xdel(stream, entry_id)
        replies = await pipe.execute()
    return str(dead_id if cluster else replies[0])


async def list_dead(redis: Redis, redis_keys: RedisKeys, show_id: str | None = None, limit: int = 1000
                    ) -> list[DeadLetter]:
    """The dead letters, oldest first; only those concerning ``show_id`` if given."""
    entries: list[tuple[str, dict[str, str]]] = await redis.xrange(redis_keys.dead_letters, count=limit)  # type: ignore[assignment]
    found = [DeadLetter.from_entry(str(dead_id), fields) for dead_id, fields in entries]
    return [d for d in found if show_id is None or show_id in d.show_ids]


async def retry(redis: Redis, redis_keys: RedisKeys, dead_id: str) -> DeadLetter | None:
    """Put a dead letter's fields back on its stream (its shows back among those the workers read) and
    remove it from the dead letters; None if there is no such dead letter."""
    try:
        entries: list[tuple[str, dict[str, str]]] = await redis.xrange(  # type: ignore[assignment]
            redis_keys.dead_letters, min=dead_id, max=dead_id)
    except ResponseError:  # not a stream id at all
        return None
    if not entries:
        return None
    dead = DeadLetter.from_entry(str(entries[0][0]), entries[0][1])
    # One MULTI on one server; on a Redis Cluster the keys are on three slots: the entry goes back first, so a
    # crash in between leaves it both back and dead (handled twice, idempotently by order id), never neither.
    cluster = is_cluster(redis)
    async with redis.pipeline(transaction=not cluster) as pipe:
        if dead.show_ids:
            pipe.sadd(redis_keys.active_shows, *dead.show_ids)
        pipe.xadd(dead.stream, dead.fields)  # type: ignore[arg-type]
        if not cluster:
            pipe.xdel(redis_keys.dead_letters, dead.id)
        await pipe.execute()
    if cluster:
        await redis.xdel(redis_keys.dead_letters, dead.id)
    return dead
