"""What only a show's staff (its host and merchant) sees live in the studio: per-offer counters and the newest
orders. Viewers must never receive these (other buyers' names and the sale's pace), so they go to a separate
``staff:<show>`` room that only staff sockets enter when they join.

Everything is read from Redis, the truth while a show runs: ``remaining`` is the offer's stock counter (the
same one the tap script decrements), ``sold`` and ``reserved`` are the paid and reserved units summed over the
show's orders hash (one HSCAN, the way ``live reconcile`` counts them). A burst of orders is coalesced into one
recount per show (``StaffFeed.refresh``), so a flash sale costs a few scans, not one per order."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.models import User
from live.commerce.orders import PAID, RESERVED, OrderRecord
from live.realtime import protocol as p

if TYPE_CHECKING:
    from live.realtime.room import Room

STAFF_ORDER, OFFER_COUNTERS = "staff_order", "offer_counters"
RECENT_ORDERS = 20
NAMES_CACHED = 10_000


def staff_room(show_id: str) -> str:
    return f"staff:{show_id}"


@dataclass(frozen=True, slots=True)
class Sales:
    counters: dict[str, dict[str, int]]  # offer_id -> {sold, reserved, remaining}
    recent: list[OrderRecord]  # newest first


async def read_sales(room: Room, show_id: str, allocated: Mapping[str, int] | None = None) -> Sales:
    """The show's counters and newest orders. ``allocated`` (offer_id -> stock) stands in for the stock
    counters of a show not on sale yet, whose counters are not in Redis."""
    sk = room.rk.show(show_id)
    stock: dict[str, str] = await room.redis.hgetall(sk.stock)  # type: ignore[assignment]
    units: Counter[tuple[str, str]] = Counter()
    orders: list[OrderRecord] = []
    async for _, text in room.redis.hscan_iter(sk.orders, count=1000):
        order = OrderRecord.from_json(text)
        units[(order.offer_id, order.status)] += order.quantity
        orders.append(order)
    remaining = {str(k): int(v) for k, v in stock.items()} or dict(allocated or {})
    offer_ids = {*remaining, *(offer_id for offer_id, _ in units), *(allocated or {})}
    counters = {
        offer_id: {"sold": units[(offer_id, PAID)], "reserved": units[(offer_id, RESERVED)],
                   "remaining": remaining.get(offer_id, 0)}
        for offer_id in offer_ids
    }
    recent = heapq.nlargest(RECENT_ORDERS, orders, key=lambda o: (o.created_ms, o.id))
    return Sales(counters, recent)


@dataclass
class StaffFeed:
    """Per process: buyers' display names (cached: a name is read from SQL once) and the recounts under way."""

    names: dict[str, str] = field(default_factory=dict)
    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)

    async def buyer_names(self, room: Room, buyer_ids: Iterable[str]) -> dict[str, str]:
        missing = {b for b in buyer_ids if b not in self.names}
        if missing:
            async with room.session() as session:
                rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(missing)))
            if len(self.names) > NAMES_CACHED:
                self.names.clear()
            self.names.update({user_id: name for user_id, name in rows})
        return self.names

    async def view(self, room: Room, order: Mapping[str, Any]) -> dict[str, Any]:
        """The order as staff see it: its public view plus the buyer's display name."""
        names = await self.buyer_names(room, [str(order["buyer_id"])])
        return {**order, "buyer_name": names.get(str(order["buyer_id"]))}

    def refresh(self, room: Room, show_id: str) -> None:
        """Recount and send ``offer_counters``; a change during a recount triggers exactly one more."""
        if show_id in self.running:
            self.dirty.add(show_id)
            return
        self.running[show_id] = asyncio.create_task(self._recount(room, show_id))

    async def _recount(self, room: Room, show_id: str) -> None:
        try:
            while True:
                self.dirty.discard(show_id)
                sales = await read_sales(room, show_id)
                await room.broadcaster.everywhere(OFFER_COUNTERS, {"show_id": show_id, "offers": sales.counters},
                                                  staff_room(show_id))
                if show_id not in self.dirty:
                    return
        finally:
            self.running.pop(show_id, None)

    async def close(self) -> None:
        for task in list(self.running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def enter(room: Room, sid: str, show_id: str, allocated: Mapping[str, int]) -> dict[str, Any]:
    """A staff socket joined: into the staff room first, then read, so no order falls between the two."""
    await room.sio.enter_room(sid, staff_room(show_id), namespace=p.NAMESPACE)
    sales = await read_sales(room, show_id, allocated)
    names = await room.staff.buyer_names(room, {o.buyer_id for o in sales.recent})
    orders = [{**o.public(), "buyer_name": names.get(o.buyer_id)} for o in sales.recent]
    return {"counters": sales.counters, "orders": orders}


async def leave(room: Room, sid: str, show_id: str) -> None:
    await room.sio.leave_room(sid, staff_room(show_id), namespace=p.NAMESPACE)


async def on_order_changed(room: Room, order: Mapping[str, Any]) -> None:
    """Every order change (created, paid, failed, expired) reaches the show's staff, then fresh counters."""
    show_id = str(order["show_id"])
    await room.broadcaster.everywhere(STAFF_ORDER, {"show_id": show_id, "order": await room.staff.view(room, order)},
                                      staff_room(show_id))
    room.staff.refresh(room, show_id)
