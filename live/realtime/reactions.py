"""Reactions (hearts and the like): counted in memory per process, added up in Redis per epoch second, and sent
as one ``reactions`` event per second with the counts of every process.

Each process adds its counts for second ``s`` to the hash ``reactions(s)`` at its next tick (within 0.2 s of
the count). Once ``EMIT_DELAY`` has passed since the end of ``s`` every process has added its share, and
each process with viewers reads the total and sends it to its own sockets."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from redis.asyncio import Redis

from live.rediskeys import ShowKeys

EMIT_DELAY = 0.5  # seconds after the end of a second before its total is read
BUCKET_TTL = 60
PER_SOCKET_PER_SECOND = 10


def due_second(now: float) -> int:
    """The newest epoch second whose total is complete at ``now``."""
    return math.floor(now - 1 - EMIT_DELAY)


def allow(times: list[float], now: float, limit: int = PER_SOCKET_PER_SECOND) -> bool:
    """A sliding one-second window per socket (``times`` is the socket's own list, pruned here)."""
    times[:] = [t for t in times if now - t < 1.0]
    if len(times) >= limit:
        return False
    times.append(now)
    return True


class ReactionCounter:
    """This process's reactions not yet added to Redis, per show and second."""

    def __init__(self) -> None:
        self._pending: defaultdict[str, defaultdict[int, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))

    def add(self, show_id: str, kind: str, now: float) -> None:
        self._pending[show_id][math.floor(now)][kind] += 1

    def take(self, show_id: str) -> dict[int, Counter[str]]:
        return dict(self._pending.pop(show_id, {}))


def queue_flush(pipe: Redis, show_keys: ShowKeys, pending: dict[int, Counter[str]]) -> None:
    for second, counts in pending.items():
        for kind, n in counts.items():
            pipe.hincrby(show_keys.reactions(second), kind, n)
        pipe.expire(show_keys.reactions(second), BUCKET_TTL)


def totals(raw: dict[str, str]) -> dict[str, int]:
    return {kind: int(n) for kind, n in raw.items() if int(n) > 0}
