"""A ban ends the banned viewer's video too, in whatever process serves it: each process checks its signed-in
viewing sessions against the ban store (live.bans; one round trip for all) every ``CHECK_EVERY`` seconds.
An anonymous session cannot be told apart from others and is left alone, as for chat."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from redis.asyncio import Redis

from live import bans
from live.rediskeys import RedisKeys
from streams.peer import PeerSession
from streams.registry import MediaRegistry

log = logging.getLogger("live.media_bans")
CHECK_EVERY = 1.0


async def end_banned_viewers(registry: MediaRegistry, redis: Redis, redis_keys: RedisKeys) -> int:
    """End the viewing sessions of users banned from their show; how many were ended."""
    by_show: defaultdict[str, list[PeerSession]] = defaultdict(list)
    for session in list(registry.sessions.values()):
        if session.role == "viewer" and session.user_id is not None and not session.closed:
            by_show[session.show_id].append(session)
    if not by_show:
        return 0
    answers = await bans.banned_among(redis, redis_keys, {show_id: [s.user_id for s in sessions if s.user_id]
                                                  for show_id, sessions in by_show.items()})
    ended = 0
    for show_id, sessions in by_show.items():
        banned = answers[show_id]
        for session, is_banned in zip(sessions, banned, strict=True):
            if is_banned:
                await registry.end(session)
                ended += 1
    return ended


async def watch_bans(registry: MediaRegistry, redis: Redis, redis_keys: RedisKeys) -> None:
    while True:
        await asyncio.sleep(CHECK_EVERY)
        try:
            await end_banned_viewers(registry, redis, redis_keys)
        except Exception:
            log.exception("checking viewers against bans failed")
