"""A consumer-group reader over Redis streams, shared by the order persister and the payment capturer.

Entries are acknowledged (and deleted, so streams stay small) only after ``handle`` succeeded; entries left
pending by a consumer that crashed are claimed after ``min_idle_ms``, following XAUTOCLAIM's cursor until
the whole pending list was walked (a backlog drains at batch speed, not one batch per claim interval).
``handle`` must therefore be idempotent: an entry may be handled twice, never zero times. Batches are small
(100 entries) so that a worker sharing the event loop with the tap path never holds it for long. After a
batch that was not full the reader lingers a moment (``linger_ms``) before reading again: while a sale runs,
entries then come in batches of tens rather than ones and twos, and what each batch costs (a transaction, a
read, an acknowledgement, a publish) is paid once for many orders instead of once for each.

In a process that also answers taps, a ``Holdback`` (taps_first.py) makes the reader wait while taps are
arriving, for a bounded time.

Nothing can block a stream: a batch that fails is retried entry by entry, and an entry that still fails
after ``max_deliveries`` deliveries goes to the dead letters (deadletters.py) with its error. A database
outage is not the entries' fault: it is waited out, and never counts against them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from db.outage import is_outage
from live.commerce import deadletters
from live.commerce.taps_first import Holdback
from live.redis_clients import by_slot
from live.rediskeys import RedisKeys

log = logging.getLogger("live.commerce.consumer")

Entry = tuple[str, str, dict[str, str]]  # stream, entry id, fields
CURSOR_START = "0-0"
OUTAGE_PAUSE_SECONDS = 1.0
ACK_ATTEMPTS = 5  # tries of one acknowledgement before its error goes up
ACK_PAUSE_SECONDS = 0.2
LINGER_MS = 50  # the delay a new order waits at most, for the batch to fill


class StreamConsumer(ABC):
    group: str

    def __init__(self, redis: Redis, redis_keys: RedisKeys, consumer: str, *, count: int = 100, block_ms: int = 500,
                 min_idle_ms: int = 5000, max_deliveries: int = 5, linger_ms: int = LINGER_MS,
                 holdback: Holdback | None = None):
        self.redis = redis
        self.redis_keys = redis_keys
        self.consumer = consumer
        self.count = count
        self.block_ms = block_ms
        self.min_idle_ms = min_idle_ms
        self.max_deliveries = max_deliveries
        self.linger_ms = linger_ms
        self.holdback = holdback
        self._groups: set[str] = set()
        self._last_claim = 0.0
        self._cursors: dict[str, str] = {}  # stream -> where the next XAUTOCLAIM starts

    @abstractmethod
    async def streams(self) -> list[str]:
        """The streams to read now."""

    @abstractmethod
    async def handle(self, entries: list[Entry]) -> None:
        """Make the entries' effects durable. Raising leaves them pending, to be retried."""

    def shows_of(self, entry: Entry) -> list[str]:
        """The shows an entry concerns (recorded with a dead letter, for ``live orders dead-letters --show``)."""
        return []

    async def run(self) -> None:
        while True:
            try:
                handled = await self.run_once()
                if handled < self.count and self.holdback is not None:
                    self.holdback.caught_up()
                if 0 < handled < self.count and self.linger_ms:
                    await asyncio.sleep(self.linger_ms / 1000)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if "NOGROUP" in str(exc):  # Redis lost a stream and its group (data loss): create them again
                    self._groups.clear()
                if is_outage(exc):
                    log.warning("database unavailable; entries stay pending", extra={"group": self.group})
                else:
                    log.exception("stream consumer failed; retrying", extra={"group": self.group})
                await asyncio.sleep(OUTAGE_PAUSE_SECONDS)

    async def run_once(self) -> int:
        """One read (claiming stale entries first, at most every min_idle/2 unless a claim walk is under way).
        Returns entries handled."""
        streams = await self.streams()
        if not streams:
            await asyncio.sleep(self.block_ms / 1000)
            return 0
        await self._ensure_groups(streams)
        handled = 0
        walking = any(self._cursors.get(s, CURSOR_START) != CURSOR_START for s in streams)
        if walking or time.monotonic() - self._last_claim > self.min_idle_ms / 2000:
            self._last_claim = time.monotonic()
            handled += await self._process(await self._claim(streams))
            walking = any(self._cursors.get(s, CURSOR_START) != CURSOR_START for s in streams)
        replies: list[Any] = await asyncio.gather(*(  # one read per slot on a Redis Cluster (by_slot)
            self.redis.xreadgroup(  # no waiting for new entries while pending ones remain
                self.group, self.consumer, {s: ">" for s in group}, count=self.count,
                block=None if walking else self.block_ms,
            ) for group in by_slot(self.redis, streams)))
        entries = [(stream, entry_id, fields) for reply in replies
                   for stream, items in reply or [] for entry_id, fields in items]
        return handled + await self._process(entries)

    async def _process(self, entries: list[Entry]) -> int:
        if not entries:
            return 0
        if self.holdback is not None:  # taps first: the entries wait while a drop's taps arrive
            await self.holdback.wait()
        try:
            await self.handle(entries)
        except Exception as exc:
            if is_outage(exc):
                raise
            if len(entries) > 1:
                log.warning("batch failed; handling its entries one by one",
                            extra={"group": self.group, "entries": len(entries), "error": repr(exc)})
                return await self._one_by_one(entries)
            await self._failed(entries[0], exc)
            return 0
        await self._acknowledge(entries)
        return len(entries)

    async def _one_by_one(self, entries: list[Entry]) -> int:
        handled = 0
        for entry in entries:
            try:
                await self.handle([entry])
            except Exception as exc:
                if is_outage(exc):
                    raise
                await self._failed(entry, exc)
                continue
            await self._acknowledge([entry])
            handled += 1
        return handled

    async def _failed(self, entry: Entry, exc: Exception) -> None:
        """An entry failed on its own: it stays pending for another delivery, or goes to the dead letters
        once it had ``max_deliveries``."""
        stream, entry_id, fields = entry
        pending = await self.redis.xpending_range(stream, self.group, min=entry_id, max=entry_id, count=1)
        if not pending:  # acknowledged meanwhile by a consumer that claimed it: not ours to judge
            return
        deliveries = int(pending[0]["times_delivered"])
        error = f"{type(exc).__name__}: {exc}"
        if deliveries < self.max_deliveries:
            log.warning("stream entry failed; it will be retried", extra={
                "group": self.group, "stream": stream, "entry_id": entry_id, "deliveries": deliveries,
                "error": error})
            return
        dead_id = await deadletters.bury(
            self.redis, self.redis_keys, group=self.group, stream=stream, entry_id=entry_id, fields=fields,
            show_ids=self.shows_of(entry), error=error, deliveries=deliveries)
        log.error("stream entry moved to the dead letters: fix the cause, then `live orders dead-letters "
                  "--retry %s`", dead_id, extra={"group": self.group, "stream": stream, "entry_id": entry_id,
                                                 "dead_letter": dead_id, "error": error})

    async def _acknowledge(self, entries: list[Entry]) -> None:
        """XACK and XDEL the handled entries, retried a few times when Redis fails: the pipeline is not a
        transaction, and an entry acknowledged but not deleted is never read again, so it stayed in its stream
        for good (seen when a cluster slot moved between the two). Both commands can repeat safely."""
        by_stream: dict[str, list[str]] = {}
        for stream, entry_id, _ in entries:
            by_stream.setdefault(stream, []).append(entry_id)
        for attempt in range(1, ACK_ATTEMPTS + 1):
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for stream, ids in by_stream.items():  # one XACK and one XDEL per stream, whatever the batch
                        pipe.xack(stream, self.group, *ids)
                        pipe.xdel(stream, *ids)
                    await pipe.execute()
                return
            except RedisError:
                if attempt == ACK_ATTEMPTS:
                    raise
                await asyncio.sleep(ACK_PAUSE_SECONDS * attempt)

    async def _ensure_groups(self, streams: list[str]) -> None:
        for stream in streams:
            if stream in self._groups:
                continue
            try:
                await self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self._groups.add(stream)

    async def _claim(self, streams: list[str]) -> list[Entry]:
        """The next stale pending entries of each stream, from where the last claim stopped."""
        claimed: list[Entry] = []
        for stream in streams:
            reply = await self.redis.xautoclaim(
                stream, self.group, self.consumer, min_idle_time=self.min_idle_ms,
                start_id=self._cursors.get(stream, CURSOR_START), count=self.count,
            )
            self._cursors[stream] = str(reply[0])
            claimed.extend((stream, entry_id, fields) for entry_id, fields in reply[1] if fields)
        return claimed
