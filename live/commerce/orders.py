"""Orders in Redis: the one-tap reservation and every later state change, each one atomic Lua script.

Redis is the truth for stock and order status while a show runs; SQL gets each change from the show's
order stream moments later (see persist.py). Nothing here touches SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from live import json_codec
from live.commerce.pipeline import PipelinedConnection
from live.commerce.scripts import BatchedScript, script
from live.commerce.taps_first import TapActivity
from live.errors import Conflict, DomainError, Forbidden, RateLimited
from live.ids import new_order_id, show_of_order
from live.rediskeys import RedisKeys, ShowKeys

RESERVED, PAID, PAYMENT_FAILED, EXPIRED = "reserved", "paid", "payment_failed", "expired"


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as the Lua scripts store it (JSON in the show's orders hash and stream)."""

    id: str
    show_id: str
    offer_id: str
    buyer_id: str
    idempotency_key: str
    quantity: int
    price_cents: int
    currency: str
    status: str
    failure_code: str | None
    created_ms: int
    expires_ms: int
    updated_ms: int
    ref: str | None = None  # attribution (live.reach.attribution): an affiliate's code and UTM fields
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None

    @classmethod
    def from_json(cls, text: str) -> OrderRecord:
        data = json_codec.loads(text)
        return cls(
            id=data["id"], show_id=data["show_id"], offer_id=data["offer_id"], buyer_id=data["buyer_id"],
            idempotency_key=data["idempotency_key"], quantity=int(data["quantity"]),
            price_cents=int(data["price_cents"]), currency=data["currency"], status=data["status"],
            failure_code=data.get("failure_code") or None, created_ms=int(data["created_ms"]),
            expires_ms=int(data["expires_ms"]), updated_ms=int(data.get("updated_ms") or data["created_ms"]),
            ref=data.get("ref"), utm_source=data.get("utm_source"), utm_medium=data.get("utm_medium"),
            utm_campaign=data.get("utm_campaign"),
        )

    @property
    def amount_cents(self) -> int:
        return self.price_cents * self.quantity

    @property
    def created_at(self) -> datetime:
        return _moment(self.created_ms)

    @property
    def expires_at(self) -> datetime:
        return _moment(self.expires_ms)

    @property
    def updated_at(self) -> datetime:
        return _moment(self.updated_ms)

    def public(self) -> dict[str, Any]:
        """What the buyer and the API see (and the ``order`` socket event carries)."""
        return {
            "id": self.id, "show_id": self.show_id, "offer_id": self.offer_id, "buyer_id": self.buyer_id,
            "status": self.status, "quantity": self.quantity, "price_cents": self.price_cents,
            "amount_cents": self.amount_cents, "currency": self.currency,
            "created_at": self.created_at.isoformat(), "expires_at": self.expires_at.isoformat(),
            "failure_code": self.failure_code,
        }


@dataclass(frozen=True, slots=True)
class Reservation:
    order: OrderRecord
    remaining: int
    created: bool  # False: the idempotency key was seen before and this is the original order


class OrderDesk:
    """Every order state change, each one batched EVALSHA (scripts.BatchedScript, then pipeline.py, then
    lua/<name>.lua): the tap path's reservation, and the payment outcomes (paid, or released after a declined
    payment). One per app, built by ``build_order_desk`` (workers.py) on the app's pipelined connection."""

    def __init__(self, redis: Redis, redis_keys: RedisKeys, reservation_ttl_seconds: int, scripts: PipelinedConnection,
                 tap_pace: tuple[int, int] = (0, 0)):
        """``tap_pace``: (taps, window ms) one buyer may make per show, counted inside the tap's own script.
        ``activity`` notes each tap, for this process's background workers (taps_first.py)."""
        self.activity = TapActivity()
        self.redis = redis
        self.redis_keys = redis_keys
        self.ttl_ms = reservation_ttl_seconds * 1000
        self.tap_pace = tap_pace
        self._reserve = BatchedScript(scripts, "reserve")
        self._settle = BatchedScript(scripts, "settle")
        self._release = BatchedScript(scripts, "release")

    async def reserve(self, show_id: str, offer_id: str, buyer_id: str, key: str, quantity: int,
                      attribution: str = "") -> Reservation:
        """``attribution``: JSON of the order's source fields (live.reach.attribution.order_fields), or ''."""
        self.activity.tapped()
        show_keys = self.redis_keys.show(show_id)
        keys = [show_keys.state, show_keys.offer(offer_id), *show_keys.tap_keys, show_keys.tap_pace(buyer_id)]
        while True:
            args: list[str | int] = [show_id, offer_id, buyer_id, key, quantity, self.ttl_ms, new_order_id(show_id),
                                     *self.tap_pace, attribution]
            outcome, order_json, remaining, detail = await self._reserve(keys, args)
            if outcome != "id_taken":
                break
        left = int(remaining)
        if outcome in ("created", "repeat"):
            return Reservation(OrderRecord.from_json(order_json), left, created=outcome == "created")
        raise _refusal(outcome, detail, left)

    async def settle(self, order_id: str) -> str:
        """Payment confirmed: reserved -> paid. Returns the status after the call ('expired' if the
        reservation lapsed first: the caller refunds; 'unknown' for an order that does not exist)."""
        show_id = show_of_order(order_id)
        if show_id is None:
            return "unknown"
        show_keys = self.redis_keys.show(show_id)
        status, _ = await self._settle([show_keys.orders, show_keys.deadlines, show_keys.stream], [order_id])
        return str(status)

    async def release(self, order_id: str, status: str, code: str) -> str:
        """A reservation that will not be paid: its units go back and the buyer's limit frees."""
        show_id = show_of_order(order_id)
        if show_id is None:
            return "unknown"
        result, _, _ = await self._release(self.redis_keys.show(show_id).release_keys(), [order_id, status, code])
        return str(result)


def _refusal(outcome: str, detail: str, remaining: int) -> DomainError:
    if outcome == "sold_out":
        return Conflict("sold out", code="sold_out", remaining=remaining)
    if outcome == "limit_reached":
        return Conflict("this would pass the per-buyer limit", code="limit_reached",
                        remaining=remaining, you_may_add=max(int(detail or 0), 0))
    if outcome == "banned":
        return Forbidden("you are banned from this show", code="banned")
    if outcome == "rate_limited":
        return RateLimited("too many taps: slow down", int(detail or 1000) / 1000)
    if outcome == "key_reused":
        return Conflict("this Idempotency-Key was used for a different order", code="idempotency_key_reused")
    messages = {
        "show_not_live": "the show is not live",
        "unknown_offer": "this offer is not on sale in this show",
        "outside_sale_window": "this offer is outside its sale window",
    }
    return Conflict(messages.get(detail, "not on sale"), code="not_on_sale", reason=detail, remaining=remaining)


async def get_live_order(redis: Redis, show_keys: ShowKeys, order_id: str) -> OrderRecord | None:
    text = await redis.hget(show_keys.orders, order_id)
    return OrderRecord.from_json(str(text)) if text else None


async def expire_due(redis: Redis, show_keys: ShowKeys, limit: int = 500) -> list[OrderRecord]:
    """Expire the show's reservations whose deadline has passed (up to ``limit``)."""
    flat = await script(redis, "expire_due")(keys=show_keys.release_keys(), args=[limit])
    return [OrderRecord.from_json(flat[i]) for i in range(0, len(flat), 2)]
