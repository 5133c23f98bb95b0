"""What only a show's staff (its host and merchant) sees live in the studio: per-offer counters and the newest
orders. Viewers must never receive these (other buyers' names and the sale's pace), so they go to a separate
``staff:<show>`` room that only staff sockets enter when they join.

Everything is read from Redis, the truth while a show runs: ``remaining`` is the offer's stock counter (the
same one the tap script decrements), ``sold`` and ``reserved`` are the paid and reserved units summed over the
show's orders hash (one HSCAN, the way ``live reconcile`` counts them). A burst of orders is coalesced into one
recount per show (``StaffFeed``), so a flash sale costs a few scans, not one per order."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.models import User
from live.commerce.orders import PAID, RESERVED, OrderRecord
from live.realtime import protocol as p
from live.schemas.staff import SalesOut

if TYPE_CHECKING:
    from live.realtime.lineup import Lineup
    from live.realtime.room import Room

log = logging.getLogger("live.realtime")
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
    """The show's counters and newest orders. ``allocated`` (offer_id -> units) lists the lineup's offers with
    what stands in for a missing stock counter: the allocated stock before the sale opens, else 0."""
    sk = room.rk.show(show_id)
    stock: dict[str, str] = await room.redis.hgetall(sk.stock)  # type: ignore[assignment]
    units: Counter[tuple[str, str]] = Counter()
    orders: list[OrderRecord] = []
    async for _, text in room.redis.hscan_iter(sk.orders, count=1000):
        order = OrderRecord.from_json(text)
        units[(order.offer_id, order.status)] += order.quantity
        orders.append(order)
    remaining = {**(allocated or {}), **{str(k): int(v) for k, v in stock.items()}}
    offer_ids = {*remaining, *(offer_id for offer_id, _ in units)}
    counters = {
        offer_id: {"sold": units[(offer_id, PAID)], "reserved": units[(offer_id, RESERVED)],
                   "remaining": remaining.get(offer_id, 0)}
        for offer_id in offer_ids
    }
    recent = heapq.nlargest(RECENT_ORDERS, orders, key=lambda o: (o.created_ms, o.id))
    return Sales(counters, recent)


@dataclass
class StaffFeed:
    """Per process: buyers' display names (cached: a name is read from SQL once) and, per show, the order
    changes waiting to be sent. The order persister announces each change and must not wait for SQL or a
    recount, so a task per show sends what piled up: one name query, the orders, then one recount."""

    names: dict[str, str] = field(default_factory=dict)
    pending: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def buyer_names(self, room: Room, buyer_ids: Iterable[str]) -> dict[str, str]:
        missing = {b for b in buyer_ids if b not in self.names}
        if missing:
            async with room.session() as session:
                rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(missing)))
            if len(self.names) > NAMES_CACHED:
                self.names.clear()
            self.names.update({user_id: name for user_id, name in rows})
        return self.names

    def order_changed(self, room: Room, order: Mapping[str, Any]) -> None:
        show_id = str(order["show_id"])
        self.pending.setdefault(show_id, []).append(order)
        if show_id not in self.running:
            self.running[show_id] = asyncio.create_task(self._send(room, show_id))

    async def _send(self, room: Room, show_id: str) -> None:
        try:
            while orders := self.pending.pop(show_id, None):
                names = await self.buyer_names(room, {str(o["buyer_id"]) for o in orders})
                for order in orders:
                    view = {**order, "buyer_name": names.get(str(order["buyer_id"]))}
                    await room.broadcaster.everywhere(STAFF_ORDER, {"show_id": show_id, "order": view},
                                                      staff_room(show_id))
                sales = await read_sales(room, show_id)
                await room.broadcaster.everywhere(OFFER_COUNTERS, {"show_id": show_id, "offers": sales.counters},
                                                  staff_room(show_id))
        except Exception:
            log.exception("staff feed failed", extra={"show_id": show_id})
        finally:
            self.running.pop(show_id, None)

    async def close(self) -> None:
        for task in list(self.running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def overview(room: Room, lineup: Lineup) -> SalesOut:
    """The counters of every offer in the lineup and the newest orders with their buyers' names."""
    scheduled = lineup.show.state == "scheduled"
    sales = await read_sales(room, lineup.show.id, {o.id: o.stock if scheduled else 0 for o in lineup.offers})
    names = await room.staff.buyer_names(room, {o.buyer_id for o in sales.recent})
    orders = [{**o.public(), "buyer_name": names.get(o.buyer_id)} for o in sales.recent]
    return SalesOut.model_validate({"counters": sales.counters, "orders": orders})


async def enter(room: Room, sid: str, lineup: Lineup) -> dict[str, Any]:
    """A staff socket joined: into the staff room first, then read, so no order falls between the two."""
    await room.sio.enter_room(sid, staff_room(lineup.show.id), namespace=p.NAMESPACE)
    return (await overview(room, lineup)).model_dump(mode="json")


async def leave(room: Room, sid: str, show_id: str) -> None:
    await room.sio.leave_room(sid, staff_room(show_id), namespace=p.NAMESPACE)


def on_order_changed(room: Room, order: Mapping[str, Any]) -> None:
    """Every order change (created, paid, failed, expired) reaches the show's staff, then fresh counters."""
    room.staff.order_changed(room, order)
