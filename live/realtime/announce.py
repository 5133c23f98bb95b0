"""The show as the room shows it (``RoomShow``), and its announcement to every viewer after a change."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from live.realtime import cards
from live.realtime.broadcaster import Broadcaster
from live.realtime.lineup import Lineup, LineupCache
from live.rediskeys import RedisKeys
from live.schemas.room import RoomShow


def room_show(lineup: Lineup, room_hash: Mapping[str, str]) -> RoomShow:
    show = lineup.show
    return RoomShow(
        id=show.id, merchant_id=show.merchant_id, title=show.title, description=show.description,
        state=show.state, started_at=show.started_at, ended_at=show.ended_at, host=lineup.host,
        slow_mode_seconds=show.slow_mode_seconds, paused=room_hash.get("paused") == "1",
    )


class ShowAnnouncer:
    def __init__(self, redis: Redis, redis_keys: RedisKeys, lineups: LineupCache, broadcaster: Broadcaster):
        self.redis, self.redis_keys, self.lineups, self.broadcaster = redis, redis_keys, lineups, broadcaster

    async def announce(self, show_id: str) -> None:
        """Send the show as it is now (after a change): the room's revision is bumped so every process
        reloads."""
        show_keys = self.redis_keys.show(show_id)
        await cards.bump_rev(self.redis, show_keys)
        room_hash: dict[str, str] = await self.redis.hgetall(show_keys.room)  # type: ignore[assignment]
        show = room_show(await self.lineups.get(show_id, room_hash.get("rev")), room_hash)
        await self.broadcaster.show(show.model_dump(mode="json"))
