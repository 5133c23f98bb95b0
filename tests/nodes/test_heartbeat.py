"""A media node's heartbeat in the real Redis: placement must read the latest load, even when a periodic beat
and a session's own beat overlap."""

from __future__ import annotations

import asyncio
import secrets

from redis.asyncio import Redis

from live.media_nodes import Heartbeat, Node, NodeDirectory
from tests.services import Services


class HeldFirstWrite(NodeDirectory):
    """The real directory, whose first write waits until released: a periodic beat caught on a slow
    connection while a session opens."""

    def __init__(self, redis: Redis, key: str) -> None:
        super().__init__(redis, key)
        self.release = asyncio.Event()
        self.writes = 0

    async def announce(self, node: Node) -> None:
        self.writes += 1
        if self.writes == 1:
            await self.release.wait()
        await super().announce(node)


async def test_a_slow_beat_does_not_overwrite_a_newer_load(services: Services) -> None:
    redis = Redis.from_url(services.redis_url)
    key = f"t{secrets.token_hex(4)}:live:media_nodes"
    directory = HeldFirstWrite(redis, key)
    load = 0
    heartbeat = Heartbeat(directory, lambda: Node("n1", "http://n1", 2, load), interval=5)
    try:
        periodic = asyncio.create_task(heartbeat.beat())
        await asyncio.sleep(0.05)  # it read load 0 or waits its turn; its write is held either way
        load = 1  # a viewer's session opened
        session_beat = asyncio.create_task(heartbeat.beat())
        await asyncio.sleep(0.05)
        directory.release.set()
        await asyncio.gather(periodic, session_beat)
        assert (await directory.alive())["n1"].load == 1, "the directory holds the load after the last session"
    finally:
        await redis.delete(key)
        await redis.aclose()
