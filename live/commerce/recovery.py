"""Redis behind SQL: after a restore from an older copy, a truncated AOF or a non-durable Redis that lost its
last writes, Redis may have forgotten orders (or payments) that SQL already holds. Selling on would sell their
units again and give a retried Idempotency-Key a second order. So after every new Redis run (a new
``run_id``), before any tap is written, each show live in SQL is checked:

- its ``loaded`` marker is missing: Redis lost the whole show;
- SQL's most recently updated order is missing in Redis, or older there: Redis lost its newest writes (the
  append-only file is a prefix of history, so checking the newest one suffices).

Such a show is rebuilt from SQL merged with what Redis still has (rebuild.lua), atomically; its bans and
mutes are restored from SQL too (live.bans).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Order, Show
from db.session import Sessionmaker
from live import bans
from live.commerce import sale_windows
from live.commerce.orders import RESERVED, OrderRecord
from live.commerce.scripts import script
from live.redis_durability import require_durable
from live.rediskeys import RedisKeys

log = logging.getLogger("live.commerce.recovery")


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def order_json(order: Order) -> str:
    """An SQL order in the shape the Lua scripts store (OrderRecord.from_json reads it back)."""
    return json.dumps({
        "id": order.id, "show_id": order.show_id, "offer_id": order.offer_id, "buyer_id": order.buyer_id,
        "idempotency_key": order.idempotency_key, "quantity": order.quantity, "price_cents": order.price_cents,
        "currency": order.currency, "status": order.status, "failure_code": order.failure_code,
        "created_ms": _ms(order.created_at), "expires_ms": _ms(order.expires_at),
        "updated_ms": _ms(order.updated_at),
    })


async def redis_is_behind(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show_id: str) -> bool:
    show_keys = redis_keys.show(show_id)
    if not await redis.exists(show_keys.loaded):
        return True
    newest = (await session.scalars(
        select(Order).where(Order.show_id == show_id).order_by(Order.updated_at.desc()).limit(1))).first()
    if newest is None:
        return False
    text = await redis.hget(show_keys.orders, newest.id)
    if not text:
        return True
    mine = OrderRecord.from_json(str(text))
    if mine.status == RESERVED and newest.status != RESERVED:
        return True
    return mine.updated_ms < _ms(newest.updated_at) - 1  # SQL may round to the microsecond


async def rebuild_show(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show_id: str) -> list[str]:
    """Rebuild one live show's counters, buyer tallies, idempotency keys and deadlines from SQL; queue the
    capture of SQL orders Redis had lost that still wait for their money. Returns those order ids."""
    show_keys = redis_keys.show(show_id)
    offers = (await session.scalars(select(Offer).where(Offer.show_id == show_id))).all()
    orders = (await session.scalars(select(Order).where(Order.show_id == show_id))).all()
    async with redis.pipeline(transaction=True) as pipe:
        for offer in offers:
            pipe.hset(show_keys.offer(offer.id), mapping=sale_windows.sale_terms(offer).redis_fields())
        await pipe.execute()
    was_lost = not await redis.exists(show_keys.loaded)
    payload = json.dumps({"allocated": {o.id: o.stock for o in offers}, "orders": [order_json(o) for o in orders]})
    adopted = [str(i) for i in await script(redis, "rebuild")(keys=show_keys.rebuild_keys(),
                                                                args=[payload, "1" if was_lost else "0"])]
    await redis.sadd(redis_keys.active_shows, show_id)
    await bans.restore(session, redis, show_keys, show_id)
    if adopted:  # one capture entry per order, as the persister queues them (a failing one blocks no other)
        since_ms = str(int(time.time() * 1000))
        async with redis.pipeline(transaction=False) as pipe:
            for order_id in adopted:
                pipe.xadd(redis_keys.payments_stream, {"order_ids": order_id, "since_ms": since_ms})
            await pipe.execute()
    log.warning("rebuilt a show's Redis state from SQL", extra={
        "show_id": show_id, "sql_orders": len(orders), "requeued_captures": len(adopted), "show_lost": was_lost})
    return adopted


async def recover(session: AsyncSession, redis: Redis, redis_keys: RedisKeys) -> list[str]:
    """Check every show live in SQL; rebuild those Redis is behind on. Returns the rebuilt show ids."""
    rebuilt = []
    for show_id in (await session.scalars(select(Show.id).where(Show.state == "live"))).all():
        if await redis_is_behind(session, redis, redis_keys, show_id):
            await rebuild_show(session, redis, redis_keys, show_id)
            rebuilt.append(show_id)
    return rebuilt


class RecoveryGate:
    """Checks each new Redis run (``INFO server`` run_id) before taps, captures or expiries touch it: the tap
    connection calls ``ensure`` on every new connection, the sweeper before every pass. A run that could lose
    a 201 (a restart or failover onto a non-durable server) is refused while ``durable`` is asked for; one
    that is behind SQL is recovered first."""

    def __init__(self, redis: Redis, redis_keys: RedisKeys, sessionmaker: Sessionmaker, *, recovery: bool = True,
                 durable: bool = True):
        self.redis = redis
        self.redis_keys = redis_keys
        self.sessionmaker = sessionmaker
        self.recovery = recovery
        self.durable = durable
        self.verified_run: str | None = None
        self._lock = asyncio.Lock()

    async def ensure(self) -> None:
        if not (self.recovery or self.durable):
            return
        run_id = str((await self.redis.info("server"))["run_id"])
        if run_id == self.verified_run:
            return
        async with self._lock:
            if run_id == self.verified_run:
                return
            if self.durable:
                await require_durable(self.redis)
            if self.recovery:
                async with self.sessionmaker() as session:
                    await recover(session, self.redis, self.redis_keys)
            self.verified_run = run_id
