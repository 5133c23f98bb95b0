"""The one answer to "is this viewer banned from (or muted in) this show": a Redis set per show
(``ShowKeys.banned``, ``ShowKeys.muted``), read by the tap script (reserve.lua), the room (join, chat), WHEP and
the media ban watcher (live.media_bans). Redis, because the tap and the room ask on every call.

SQL's ``show_moderation`` is the record. Every ban, mute and their lifting writes through to the set right
after SQL commits (live.realtime.moderation); the sets are rebuilt from SQL when a show starts and when
recovery finds Redis lost the show (live.commerce.recovery), so a Redis flush forgives nobody.
"""

from __future__ import annotations

from typing import Literal

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ShowModeration
from live.rediskeys import RedisKeys, ShowKeys

Kind = Literal["ban", "mute"]


def _key(show_keys: ShowKeys, kind: Kind) -> str:
    return show_keys.banned if kind == "ban" else show_keys.muted


def ask_banned(pipe: Pipeline, show_keys: ShowKeys, user_id: str | None) -> None:
    """Queue the question on a caller's pipeline, so it rides on the round trip the caller makes anyway."""
    pipe.sismember(show_keys.banned, user_id or "")


def ask_muted(pipe: Pipeline, show_keys: ShowKeys, user_id: str | None) -> None:
    pipe.sismember(show_keys.muted, user_id or "")


async def is_banned(redis: Redis, show_keys: ShowKeys, user_id: str) -> bool:
    return bool(await redis.sismember(show_keys.banned, user_id))


async def standing(redis: Redis, show_keys: ShowKeys, user_id: str) -> tuple[bool, bool]:
    """(muted, banned)."""
    async with redis.pipeline(transaction=False) as pipe:
        ask_muted(pipe, show_keys, user_id)
        ask_banned(pipe, show_keys, user_id)
        muted, banned = await pipe.execute()
    return bool(muted), bool(banned)


async def banned_among(redis: Redis, redis_keys: RedisKeys, users_by_show: dict[str, list[str]]
                       ) -> dict[str, list[bool]]:
    """For each show, which of the given users are banned from it (one round trip for all)."""
    async with redis.pipeline(transaction=False) as pipe:
        for show_id, user_ids in users_by_show.items():
            pipe.smismember(redis_keys.show(show_id).banned, user_ids)
        answers = await pipe.execute()
    return {show_id: [bool(a) for a in answer] for show_id, answer in zip(users_by_show, answers, strict=True)}


async def write_through(redis: Redis, show_keys: ShowKeys, kind: Kind, user_id: str, on: bool) -> None:
    """SQL has just recorded (``on``) or lifted the ban or mute: the set follows."""
    if on:
        await redis.sadd(_key(show_keys, kind), user_id)
    else:
        await redis.srem(_key(show_keys, kind), user_id)


async def restore(session: AsyncSession, redis: Redis, show_keys: ShowKeys, show_id: str) -> None:
    """Make the show's sets what SQL records (replaced in one transaction)."""
    rows = (await session.execute(select(ShowModeration.kind, ShowModeration.user_id).where(
        ShowModeration.show_id == show_id))).all()
    by_kind: dict[Kind, list[str]] = {"ban": [], "mute": []}
    for kind, user_id in rows:
        if kind in by_kind:
            by_kind[kind].append(user_id)
    async with redis.pipeline(transaction=True) as pipe:
        for kind, user_ids in by_kind.items():
            pipe.delete(_key(show_keys, kind))
            if user_ids:
                pipe.sadd(_key(show_keys, kind), *user_ids)
        await pipe.execute()
