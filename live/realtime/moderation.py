"""Host moderation of one show: mute (may watch, not chat) and ban (may not join, chat, buy or watch). SQL
(``show_moderation``) is the record, written through to the ban store (live.bans) that answers the checks."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Show, ShowModeration, User
from live import bans, policy
from live.errors import Invalid
from live.lookup import found
from live.rediskeys import ShowKeys
from live.schemas.room import ModerationAction, ModerationOut

_KIND: dict[str, bans.Kind] = {"mute": "mute", "unmute": "mute", "ban": "ban", "unban": "ban"}


async def _check_target(session: AsyncSession, show: Show, user_id: str) -> None:
    user = await found(session, User, user_id, "user")
    if policy.is_staff_account(user, show):
        raise Invalid("the show's staff cannot be muted or banned", code="cannot_moderate_staff")


async def apply(
    session: AsyncSession, redis: Redis, show_keys: ShowKeys, show: Show, user_id: str, action: ModerationAction,
    by_user_id: str,
) -> ModerationOut:
    await _check_target(session, show, user_id)
    kind = _KIND[action]
    if action in ("mute", "ban"):
        exists = await session.scalar(select(ShowModeration.kind).where(
            ShowModeration.show_id == show.id, ShowModeration.user_id == user_id, ShowModeration.kind == kind))
        if exists is None:
            session.add(ShowModeration(show_id=show.id, user_id=user_id, kind=kind, by_user_id=by_user_id))
        try:
            await session.commit()
        except IntegrityError:  # a concurrent request recorded the same thing
            await session.rollback()
        await bans.write_through(redis, show_keys, kind, user_id, on=True)
    else:
        await session.execute(delete(ShowModeration).where(
            ShowModeration.show_id == show.id, ShowModeration.user_id == user_id, ShowModeration.kind == kind))
        await session.commit()
        await bans.write_through(redis, show_keys, kind, user_id, on=False)
    muted, banned = await bans.standing(redis, show_keys, user_id)
    return ModerationOut(show_id=show.id, user_id=user_id, muted=muted, banned=banned)
