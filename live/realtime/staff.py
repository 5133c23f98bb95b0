"""What only a show's staff (its host and merchant) sees live in the studio: per-offer counters and the newest
orders. Viewers must never receive these (other buyers' names and the sale's pace), so they go to a separate
``staff:<show>`` room that only staff sockets enter when they join.

``remaining`` is the offer's stock counter in Redis (the one the tap script decrements, live). ``sold`` and
``reserved`` are the paid and reserved units in SQL, one GROUP BY on the show's index: no Redis counter of
them exists, and summing the show's orders hash in Python grows with the show's orders, while the order
events that trigger a recount are sent after their SQL commit, so SQL already has them. A burst of orders is
coalesced into one ``staff_orders`` event (each order changed since the last, in its latest state, oldest
first) and one recount per show, at most four a second (``StaffFeed``): an event and a recount per order
would load the loop most exactly when a sale spikes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import socketio
from redis.asyncio import Redis
from sqlalchemy import func, select

from db.models import Order, User
from db.session import Sessionmaker
from live.commerce.orders import PAID, RESERVED
from live.commerce.queries import record_from_row
from live.realtime import protocol
from live.realtime.broadcaster import Broadcaster
from live.realtime.lineup import Lineup
from live.rediskeys import RedisKeys
from live.schemas.staff import SalesOut

log = logging.getLogger("live.realtime")
RECENT_ORDERS = 20
NAMES_CACHED = 10_000
RECOUNT_EVERY = 0.25  # seconds between recounts (SQL aggregates) while orders keep coming
STAFF_HOSTS_TTL = 24 * 3600


async def read_counters(sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, show_id: str,
                        allocated: Mapping[str, int] | None = None) -> dict[str, dict[str, int]]:
    """offer_id -> {sold, reserved, remaining}. ``allocated`` (offer_id -> units) lists the lineup's offers
    with what stands in for a missing stock counter: the allocated stock before the sale opens, else 0."""
    stock: dict[str, str] = await redis.hgetall(redis_keys.show(show_id).stock)  # type: ignore[assignment]
    async with sessionmaker() as session:
        units = await session.execute(
            select(Order.offer_id, Order.status, func.sum(Order.quantity))
            .where(Order.show_id == show_id, Order.status.in_((PAID, RESERVED)))
            .group_by(Order.offer_id, Order.status)
        )
        held = {(offer_id, status): int(total) for offer_id, status, total in units}
    remaining = {**(allocated or {}), **{str(k): int(v) for k, v in stock.items()}}
    offer_ids = {*remaining, *(offer_id for offer_id, _ in held)}
    return {
        offer_id: {"sold": held.get((offer_id, PAID), 0), "reserved": held.get((offer_id, RESERVED), 0),
                   "remaining": remaining.get(offer_id, 0)}
        for offer_id in offer_ids
    }


async def read_recent(sessionmaker: Sessionmaker, show_id: str) -> list[dict[str, Any]]:
    """The newest orders first, with their buyers' display names."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Order, User.display_name).join(User, User.id == Order.buyer_id)
            .where(Order.show_id == show_id).order_by(Order.id.desc()).limit(RECENT_ORDERS)
        )
        return [{**record_from_row(order).public(), "buyer_name": name} for order, name in rows]


def latest_changes(orders: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One view per order among the changes that piled up (an order reserved and paid since the last send is
    sent once, paid), in the order they were first seen; a final status wins over a late 'reserved'."""
    latest: dict[str, Mapping[str, Any]] = {}
    for order in orders:
        seen = latest.get(order["id"])
        if seen is None or seen["status"] == RESERVED:
            latest[order["id"]] = order
    return list(latest.values())


class StaffFeed:
    """Per process: the staff room's members, buyers' display names (cached: a name is read from SQL once)
    and, per show, the order changes waiting to be sent. The order persister announces each change and must
    not wait for SQL or a recount, so a task per show sends what piled up: one name query, the orders, then
    one recount."""

    def __init__(self, sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, sio: socketio.AsyncServer,
                 broadcaster: Broadcaster):
        self.sessionmaker, self.redis, self.redis_keys = sessionmaker, redis, redis_keys
        self.sio, self.broadcaster = sio, broadcaster
        self.names: dict[str, str] = {}
        self.pending: dict[str, list[Mapping[str, Any]]] = {}
        self.running: dict[str, asyncio.Task[None]] = {}

    async def buyer_names(self, buyer_ids: Iterable[str]) -> dict[str, str]:
        missing = {b for b in buyer_ids if b not in self.names}
        if missing:
            async with self.sessionmaker() as session:
                rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(missing)))
            if len(self.names) > NAMES_CACHED:
                self.names.clear()
            self.names.update({user_id: name for user_id, name in rows})
        return self.names

    def order_changed(self, order: Mapping[str, Any]) -> None:
        """Every order change (created, paid, failed, expired) reaches the show's staff, then fresh counters."""
        show_id = str(order["show_id"])
        self.pending.setdefault(show_id, []).append(order)
        if show_id not in self.running:
            self.running[show_id] = asyncio.create_task(self._send(show_id))

    async def _send(self, show_id: str) -> None:
        try:
            while changes := self.pending.pop(show_id, None):
                orders = latest_changes(changes)
                names = await self.buyer_names({str(o["buyer_id"]) for o in orders})
                views = [{**order, "buyer_name": names.get(str(order["buyer_id"]))} for order in orders]
                await self.broadcaster.staff_orders(show_id, views)
                counters = await read_counters(self.sessionmaker, self.redis, self.redis_keys, show_id)
                await self.broadcaster.offer_counters(show_id, counters)
                if show_id in self.pending:  # a sale is running: recount at most every RECOUNT_EVERY
                    await asyncio.sleep(RECOUNT_EVERY)
        except Exception:
            log.exception("staff feed failed", extra={"show_id": show_id})
        finally:
            self.running.pop(show_id, None)

    async def close(self) -> None:
        for task in list(self.running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def overview(self, lineup: Lineup) -> SalesOut:
        """The counters of every offer in the lineup and the newest orders with their buyers' names."""
        scheduled = lineup.show.state == "scheduled"
        allocated = {o.id: o.stock if scheduled else 0 for o in lineup.offers}
        counters = await read_counters(self.sessionmaker, self.redis, self.redis_keys, lineup.show.id, allocated)
        recent = await read_recent(self.sessionmaker, lineup.show.id)
        return SalesOut.model_validate({"counters": counters, "orders": recent})

    async def enter_room(self, sid: str, show_id: str, host_id: str | None = None) -> None:
        """A staff socket joined; it reads the overview after this, so no order falls between the two. A host's
        socket (not the merchant's: it owns the show for good) is noted, so that it leaves if the host is
        changed."""
        await self.sio.enter_room(sid, protocol.staff_room(show_id), namespace=protocol.NAMESPACE)
        if host_id is not None:
            key = self.redis_keys.show(show_id).staff_hosts
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hset(key, sid, host_id)
                pipe.expire(key, STAFF_HOSTS_TTL)
                await pipe.execute()

    async def leave(self, sid: str, show_id: str) -> None:
        await self.sio.leave_room(sid, protocol.staff_room(show_id), namespace=protocol.NAMESPACE)
        await self.redis.hdel(self.redis_keys.show(show_id).staff_hosts, sid)

    async def drop_former_hosts(self, show_id: str, host_id: str) -> None:
        """The show has another host now: the former host's sockets leave its staff room, in every process."""
        key = self.redis_keys.show(show_id).staff_hosts
        entries: dict[str, str] = await self.redis.hgetall(key)  # type: ignore[assignment]
        former = [sid for sid, user_id in entries.items() if user_id != host_id]
        for sid in former:
            await self.sio.leave_room(sid, protocol.staff_room(show_id), namespace=protocol.NAMESPACE)
        if former:
            await self.redis.hdel(key, *former)
