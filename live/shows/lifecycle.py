"""A show's life: scheduled, changed, then live -> ended.

Starting the show copies the lineup's counters into Redis (and the show's bans into the ban store); ending it
closes the sale and hands what is left back to the inventory.
"""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Show, User
from live import bans, policy
from live.auth import Principal
from live.commerce import stock
from live.commerce.sale_windows import sale_terms
from live.errors import Conflict, Invalid
from live.ids import new_id
from live.lookup import found
from live.rediskeys import RedisKeys
from live.schemas.shows import ShowIn, ShowPatch
from live.shows.lineup import list_offers, sync_returned_stock

ALLOWED_TRANSITIONS = {("scheduled", "live"), ("live", "ended")}


async def get_show(session: AsyncSession, show_id: str) -> Show:
    return await found(session, Show, show_id, "show")


async def staff_show(session: AsyncSession, principal: Principal, show_id: str) -> Show:
    """The show, if the caller is its host or its merchant (404, else 403)."""
    show = await get_show(session, show_id)
    policy.require_staff(principal, show)
    return show


async def _check_host(session: AsyncSession, merchant_id: str, host_id: str) -> None:
    """The host must be one of the merchant's hosts, or the merchant's owner account."""
    user = await session.get(User, host_id)
    if user is None or not policy.may_host(user, merchant_id):
        raise Invalid("host_id is not a host of this merchant", code="invalid_host")


async def create_show(session: AsyncSession, merchant_id: str, data: ShowIn) -> Show:
    await _check_host(session, merchant_id, data.host_id)
    show = Show(id=new_id("shw"), merchant_id=merchant_id, **data.model_dump())
    session.add(show)
    await session.commit()
    return show


async def update_show(session: AsyncSession, show: Show, patch: ShowPatch) -> Show:
    if show.state == "ended":
        raise Conflict("an ended show cannot change", code="show_ended")
    changes = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None}
    if "host_id" in changes:
        await _check_host(session, show.merchant_id, changes["host_id"])
    for field, value in changes.items():
        setattr(show, field, value)
    await session.commit()
    return show


async def _transition(session: AsyncSession, show: Show, target: str) -> None:
    """Compare-and-set on the state column so two concurrent requests cannot both make the move."""
    if (show.state, target) not in ALLOWED_TRANSITIONS:
        raise Conflict(f"a {show.state} show cannot become {target}", code="illegal_transition")
    stamp = {"started_at": datetime.now(UTC)} if target == "live" else {"ended_at": datetime.now(UTC)}
    result = await session.execute(
        update(Show).where(Show.id == show.id, Show.state == show.state).values(state=target, **stamp)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the show changed meanwhile", code="illegal_transition")


async def start_show(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show) -> Show:
    await _transition(session, show, "live")
    offers = await list_offers(session, show.id)
    await stock.open_show(redis, redis_keys, show.id, [sale_terms(o) for o in offers])
    await bans.restore(session, redis, redis_keys.show(show.id), show.id)  # bans made before the start, or a lost set
    await session.commit()
    await session.refresh(show)
    return show


async def end_show(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show) -> Show:
    """The sale closes in Redis before the SQL state commits: a crash in between leaves a live show that
    sells nothing, and ending it again finishes the job (closing is idempotent)."""
    await _transition(session, show, "ended")
    offers = await list_offers(session, show.id)
    await stock.close_show(redis, redis_keys, show.id, [o.id for o in offers])
    await session.commit()
    await sync_returned_stock(session, redis, redis_keys, show.id)
    await session.refresh(show)
    return show
