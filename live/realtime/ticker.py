"""The room's clock: five times a second, for every show someone in this process watches, one Redis pipeline
reads the stock counters (and, once a second, the viewer count and the last complete second of reactions),
and the changes go to this process's sockets.

Stock without storms: order traffic never emits anything. However many orders land, a client gets at most
``1 / INTERVAL`` stock events a second, each with the latest numbers, and only when they changed. Every
process with viewers of a show runs this for its own sockets (no election, no failover gap, no pub/sub on
the busiest event); they all read the same counters, so each client sees the same numbers whatever
process it is connected to."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from redis.asyncio import Redis

from live.background import stop_tasks
from live.realtime import presence, reactions
from live.realtime.broadcaster import Broadcaster
from live.realtime.presence import ViewerStats
from live.realtime.reactions import ReactionCounter
from live.rediskeys import RedisKeys

log = logging.getLogger("live.realtime.ticker")
INTERVAL = 0.2
SLOW_EVERY = 5  # ticks between viewer counts (once a second)


@dataclass
class _ShowClock:
    stock: dict[str, int] | None = None  # as last sent
    viewers: int | None = None
    joined: bool = False  # a socket joined since the last count: its snapshot's count may differ from ours
    reactions_second: int = field(default_factory=lambda: reactions.due_second(time.time()))
    ticks: int = 0


class RoomTicker:
    def __init__(self, redis: Redis, redis_keys: RedisKeys, local_shows: Callable[[], Mapping[str, Collection[str]]],
                 broadcaster: Broadcaster, counter: ReactionCounter, stats: ViewerStats,
                 interval: float = INTERVAL):
        """``local_shows`` says which viewers this process has in each show's room (staff left out)."""
        self.redis, self.redis_keys, self.local_shows, self.broadcaster = redis, redis_keys, local_shows, broadcaster
        self.counter, self.stats, self.interval = counter, stats, interval
        self._clocks: dict[str, _ShowClock] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="room-ticker")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
        for show_id in list(self._clocks):
            await self.forget(show_id)

    def joined(self, show_id: str) -> None:
        """A socket here joined the show: the next count is sent even if unchanged, because the joiner's
        snapshot counted at another moment (a viewer leaving and another coming in between looks unchanged)."""
        self._clocks.setdefault(show_id, _ShowClock()).joined = True

    def stock_sent(self, show_id: str) -> dict[str, int] | None:
        """The stock this process's viewers were last sent: a join snapshot uses it, so the ticker's next
        change is always relative to what the new viewer shows."""
        clock = self._clocks.get(show_id)
        return dict(clock.stock) if clock and clock.stock is not None else None

    def viewers(self, show_id: str) -> int | None:
        clock = self._clocks.get(show_id)
        return clock.viewers if clock else None

    async def _run(self) -> None:
        next_at = time.monotonic()
        while True:
            next_at += self.interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() - next_at > self.interval:
                next_at = time.monotonic()  # fell behind (a busy loop): do not burst to catch up
            here = self.local_shows()
            for show_id in [s for s in self._clocks if s not in here]:
                await self.forget(show_id)
            if here:
                await asyncio.gather(*(self._tick_safely(show_id, n) for show_id, n in here.items()))

    async def _tick_safely(self, show_id: str, here: Collection[str]) -> None:
        try:
            await self.tick(show_id, here)
        except Exception:
            log.exception("room tick failed", extra={"show_id": show_id})

    async def tick(self, show_id: str, here: Collection[str]) -> None:
        clock = self._clocks.setdefault(show_id, _ShowClock())
        clock.ticks += 1
        slow = clock.ticks % SLOW_EVERY == 1
        show_keys = self.redis_keys.show(show_id)
        now = time.time()
        due = reactions.due_second(now)
        read_reactions = due > clock.reactions_second
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(show_keys.stock)
            reactions.queue_flush(pipe, show_keys, self.counter.take(show_id))
            reactions_at = len(pipe)
            if read_reactions:
                pipe.hgetall(show_keys.reactions(due))
            if slow:
                presence.queue_report(pipe, show_keys, here, int(now * 1000))
            results = await pipe.execute()
        await self._send_stock(show_id, clock, results[0])
        if read_reactions:
            clock.reactions_second = due
            counts = reactions.totals(results[reactions_at])
            if counts:
                await self.broadcaster.reactions(show_id, due, counts)
        if slow:
            await self._count_viewers(show_id, clock, int(results[-1]))

    async def _send_stock(self, show_id: str, clock: _ShowClock, raw: dict[str, str]) -> None:
        if not raw:
            return  # not on sale yet: the snapshot shows the allocated stock
        current = {offer_id: int(units) for offer_id, units in raw.items()}
        if current != clock.stock:
            clock.stock = current
            await self.broadcaster.stock(show_id, current)

    async def _count_viewers(self, show_id: str, clock: _ShowClock, total: int) -> None:
        if total != clock.viewers or clock.joined:
            clock.viewers, clock.joined = total, False
            await self.broadcaster.viewers(show_id, total)
        await self.stats.observe(show_id, total)

    async def forget(self, show_id: str) -> None:
        """No one here watches the show any more (their leaving took them out of the count): stop ticking it."""
        self._clocks.pop(show_id, None)
        try:
            await self.stats.finish(show_id)
        except Exception:
            log.exception("could not leave the show's count", extra={"show_id": show_id})
