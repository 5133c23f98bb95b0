"""Media nodes in Redis: each node that takes WebRTC sessions announces itself (id, the URL clients reach it
at, capacity, load, the shows it relays) on a heartbeat, in one hash every process reads. An entry carries
its expiry, so a node that dies without a word drops out within a few beats; readers sweep stale entries.

One hash for all nodes (a global key): placement needs every node at once, and one key is one Redis Cluster
slot, so a single HGETALL reads them all."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from live.background import stop_tasks

log = logging.getLogger("live.media_nodes")
MISSED_BEATS = 4  # a node is gone after this many heartbeats without news


@dataclass(frozen=True)
class Node:
    id: str
    url: str
    capacity: int
    load: int = 0
    relays: dict[str, int] = field(default_factory=dict)  # show id -> viewers here, for shows pulled from an origin
    expires_ms: int = 0

    @property
    def full(self) -> bool:
        return self.load >= self.capacity

    @property
    def occupancy(self) -> float:
        return self.load / self.capacity


class NodeDirectory:
    """The hash of live nodes."""

    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key

    async def announce(self, node: Node) -> None:
        await self.redis.hset(self.key, node.id, json.dumps(asdict(node)))

    async def forget(self, node_id: str) -> None:
        await self.redis.hdel(self.key, node_id)

    async def alive(self) -> dict[str, Node]:
        now = int(time.time() * 1000)
        nodes: dict[str, Node] = {}
        stale: list[str] = []
        for raw in (await self.redis.hgetall(self.key)).values():
            node = Node(**json.loads(raw))
            if node.expires_ms < now:
                stale.append(node.id)
            else:
                nodes[node.id] = node
        if stale:
            await self.redis.hdel(self.key, *stale)
        return nodes


class Heartbeat:
    """Announces this node every ``interval`` seconds, and at once when ``beat()`` is awaited (after a
    session opened or closed, so placement sees the new load before the caller's next request). Beats take
    turns: a periodic beat that read the load just before a session opened must not land after that session's
    own beat, or placement reads the older load and puts the next viewer on a full node."""

    def __init__(self, directory: NodeDirectory, describe: Callable[[], Node], interval: float) -> None:
        self.directory = directory
        self.describe = describe
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._turn = asyncio.Lock()

    def current(self) -> Node:
        node = self.describe()
        expires = int((time.time() + self.interval * MISSED_BEATS) * 1000)
        return Node(node.id, node.url, node.capacity, node.load, node.relays, expires)

    async def beat(self) -> None:
        async with self._turn:  # read and write in one turn, so the last write holds the latest load
            await self.directory.announce(self.current())

    async def _run(self) -> None:
        while True:
            try:
                await self.beat()
            except RedisError:
                log.warning("media node heartbeat failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        await self.beat()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])  # a cancel redis-py swallows mid-beat would leave it looping
        try:
            await self.directory.forget(self.describe().id)
        except RedisError:
            log.warning("could not withdraw the media node")
