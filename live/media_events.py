"""Show changes that media nodes must hear from other processes: a show ended (close all its peers) or its
recording was switched. The process that changed the show handles its own registry through the in-process
signal and publishes the change on a Redis channel; media nodes listen and apply the others' changes.

Pub/sub is at most once: a node that misses an 'ended' keeps that show's peers until the host hangs up and
its viewers leave, which costs resources but shows nobody a wrong screen."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from db.models import Show
from live.background import stop_tasks

log = logging.getLogger("live.media_events")
ShowChange = Callable[[str, str, bool], Awaitable[None]]  # (show id, state, record)
RETRY_SECONDS = 1.0


class ShowEvents:
    def __init__(self, redis: Redis, channel: str, node_id: str, apply: ShowChange) -> None:
        self.redis = redis
        self.channel = channel
        self.node_id = node_id
        self.apply = apply
        self._task: asyncio.Task[None] | None = None

    async def publish(self, show: Show) -> None:
        message = {"node": self.node_id, "show": show.id, "state": show.state, "record": show.record}
        try:
            await self.redis.publish(self.channel, json.dumps(message))
        except RedisError:
            log.warning("could not tell the media nodes of a show change", extra={"show_id": show.id})

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    change = json.loads(message["data"])
                    if change["node"] != self.node_id:
                        await self.apply(change["show"], change["state"], bool(change["record"]))
            except (RedisError, OSError):
                log.warning("media events listener lost Redis; resubscribing")
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(RETRY_SECONDS)

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
