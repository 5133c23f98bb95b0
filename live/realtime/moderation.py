"""Host moderation of one show: mute (may watch, not chat) and ban (may not join or chat). SQL
(``show_moderation``) is the record; two Redis sets answer the checks on the hot paths (join, chat)."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Show, ShowModeration, User
from live.errors import Invalid
from live.lookup import found
from live.rediskeys import ShowKeys
from live.schemas.room import ModerationAction, ModerationOut

_KIND = {"mute": "mute", "unmute": "mute", "ban": "ban", "unban": "ban"}


async def status(redis: Redis, show_keys: ShowKeys, user_id: str) -> tuple[bool, bool]:
    """(muted, banned)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.sismember(show_keys.muted, user_id)
        pipe.sismember(show_keys.banned, user_id)
        muted, banned = await pipe.execute()
    return bool(muted), bool(banned)


async def _check_target(session: AsyncSession, show: Show, user_id: str) -> None:
    user = await found(session, User, user_id, "user")
    if user.id == show.host_id or (user.merchant_id == show.merchant_id and user.role in ("host", "merchant")):
        raise Invalid("the show's staff cannot be muted or banned", code="cannot_moderate_staff")


async def apply(
    session: AsyncSession, redis: Redis, show_keys: ShowKeys, show: Show, user_id: str, action: ModerationAction,
    by_user_id: str,
) -> ModerationOut:
    await _check_target(session, show, user_id)
    kind = _KIND[action]
    key = show_keys.muted if kind == "mute" else show_keys.banned
    if action in ("mute", "ban"):
        exists = await session.scalar(select(ShowModeration.kind).where(
            ShowModeration.show_id == show.id, ShowModeration.user_id == user_id, ShowModeration.kind == kind))
        if exists is None:
            session.add(ShowModeration(show_id=show.id, user_id=user_id, kind=kind, by_user_id=by_user_id))
        try:
            await session.commit()
        except IntegrityError:  # a concurrent request recorded the same thing
            await session.rollback()
        await redis.sadd(key, user_id)
    else:
        await session.execute(delete(ShowModeration).where(
            ShowModeration.show_id == show.id, ShowModeration.user_id == user_id, ShowModeration.kind == kind))
        await session.commit()
        await redis.srem(key, user_id)
    muted, banned = await status(redis, show_keys, user_id)
    return ModerationOut(show_id=show.id, user_id=user_id, muted=muted, banned=banned)
