"""A consumer-group reader over Redis streams, shared by the order persister and the payment capturer.

Entries are acknowledged (and deleted, so streams stay small) only after ``handle`` succeeded; entries left
pending by a consumer that crashed are claimed after ``min_idle_ms``. ``handle`` must therefore be
idempotent: an entry may be handled twice, never zero times. Batches are small (100 entries) so that a
worker sharing the event loop with the tap path never holds it for long during a sale.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

log = logging.getLogger("live.commerce.consumer")

Entry = tuple[str, str, dict[str, str]]  # stream, entry id, fields


class StreamConsumer(ABC):
    group: str

    def __init__(self, redis: Redis, consumer: str, *, count: int = 100, block_ms: int = 500,
                 min_idle_ms: int = 5000):
        self.redis = redis
        self.consumer = consumer
        self.count = count
        self.block_ms = block_ms
        self.min_idle_ms = min_idle_ms
        self._groups: set[str] = set()
        self._last_claim = 0.0

    @abstractmethod
    async def streams(self) -> list[str]:
        """The streams to read now."""

    @abstractmethod
    async def handle(self, entries: list[Entry]) -> None:
        """Make the entries' effects durable. Raising leaves them pending, to be retried."""

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if "NOGROUP" in str(exc):  # Redis lost a stream and its group (data loss): create them again
                    self._groups.clear()
                log.exception("stream consumer failed; retrying", extra={"group": self.group})
                await asyncio.sleep(1)

    async def run_once(self) -> int:
        """One read (claiming stale entries first, at most every min_idle/2). Returns entries handled."""
        streams = await self.streams()
        if not streams:
            await asyncio.sleep(self.block_ms / 1000)
            return 0
        await self._ensure_groups(streams)
        handled = 0
        if time.monotonic() - self._last_claim > self.min_idle_ms / 2000:
            self._last_claim = time.monotonic()
            handled += await self._process(await self._claim(streams))
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {s: ">" for s in streams}, count=self.count, block=self.block_ms
        )
        entries = [(stream, entry_id, fields) for stream, items in reply or [] for entry_id, fields in items]
        return handled + await self._process(entries)

    async def _process(self, entries: list[Entry]) -> int:
        if not entries:
            return 0
        await self.handle(entries)
        by_stream: dict[str, list[str]] = {}
        for stream, entry_id, _ in entries:
            by_stream.setdefault(stream, []).append(entry_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream, ids in by_stream.items():  # one XACK and one XDEL per stream, whatever the batch size
                pipe.xack(stream, self.group, *ids)
                pipe.xdel(stream, *ids)
            await pipe.execute()
        return len(entries)

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
        claimed: list[Entry] = []
        for stream in streams:
            reply = await self.redis.xautoclaim(
                stream, self.group, self.consumer, min_idle_time=self.min_idle_ms, start_id="0-0", count=self.count
            )
            claimed.extend((stream, entry_id, fields) for entry_id, fields in reply[1] if fields)
        return claimed
