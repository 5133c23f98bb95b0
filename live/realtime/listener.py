"""A watch over the socket.io Redis manager's listener, the one task through which this process hears the
other processes' emits. python-socketio says nothing when it dies, and after Redis drops it retries with a
backoff of up to a minute, so the watch probes Redis pub/sub itself (a ping on its own channel, once a
second), restarts the listener when it died or when Redis came back after a drop, and says whether this
process is healthy meanwhile. Rooms resync by snapshot when clients rejoin, as after any gap."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any

import socketio
from redis.asyncio import Redis
from redis.exceptions import RedisError
from socketio.async_pubsub_manager import AsyncPubSubManager

from live.background import stop_tasks

log = logging.getLogger("live.realtime.listener")
PROBE_INTERVAL = 1.0
PROBE_TIMEOUT = 2.0


class ListenerWatch:
    def __init__(self, sio: socketio.AsyncServer, manager: AsyncPubSubManager, redis: Redis, channel: str,
                 interval: float = PROBE_INTERVAL) -> None:
        self.sio = sio
        self.manager = manager
        self.redis = redis
        self.channel = f"{channel}:probe:{secrets.token_hex(6)}"
        self.interval = interval
        self.restarts = 0
        self._redis_ok = False
        self._task: asyncio.Task[None] | None = None

    @property
    def listener_alive(self) -> bool:
        task = getattr(self.manager, "thread", None)
        return isinstance(task, asyncio.Task) and not task.done()

    @property
    def healthy(self) -> bool:
        return self._redis_ok and self.listener_alive

    async def _probe(self, pubsub: Any) -> bool:
        """Publish a ping on our channel and hear it back."""
        token = secrets.token_hex(4)
        await self.redis.publish(self.channel, token)
        deadline = time.monotonic() + PROBE_TIMEOUT
        while time.monotonic() < deadline:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message is not None and message.get("data") == token:
                return True
        return False

    async def restart_listener(self) -> None:
        """A fresh listener task, connected now rather than after python-socketio's backoff."""
        task = getattr(self.manager, "thread", None)
        if isinstance(task, asyncio.Task):
            await stop_tasks([task])
        with contextlib.suppress(Exception):
            await self.manager.pubsub.aclose()
        self.manager.thread = self.manager.server.start_background_task(self.manager._thread)
        self.restarts += 1
        log.warning("socket.io listener restarted", extra={"restarts": self.restarts})

    async def _run(self) -> None:
        pubsub: Any = None
        lost = False
        while True:
            try:
                if pubsub is None:
                    pubsub = self.redis.pubsub()
                    await pubsub.subscribe(self.channel)
                ok = await self._probe(pubsub)
            except (RedisError, OSError):
                ok = False
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                pubsub = None
            if not ok:
                lost = True
            elif lost or not self.listener_alive:
                await self.restart_listener()
                lost = False
            self._redis_ok = ok
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Start the listener now (python-socketio would at the first connection) and watch it."""
        if not self.sio.manager_initialized:
            self.sio.manager_initialized = True
            self.manager.initialize()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
