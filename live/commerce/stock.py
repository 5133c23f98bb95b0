"""Stock counters in Redis: loaded when an offer opens for sale (never overwriting a live counter), read by
the show page and the stock ticker, and handed back when the show ends."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from live.commerce.scripts import script
from live.rediskeys import RedisKeys, ShowKeys


@dataclass(frozen=True, slots=True)
class SaleTerms:
    """What the tap path needs to know about an offer, copied into Redis."""

    offer_id: str
    stock: int
    price_cents: int
    currency: str
    per_buyer_limit: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None

    def redis_fields(self) -> dict[FieldT, EncodableT]:
        return {
            "price_cents": self.price_cents,
            "currency": self.currency,
            "limit": self.per_buyer_limit,
            "starts_ms": _ms(self.sale_starts_at),
            "ends_ms": _ms(self.sale_ends_at),
        }


def _ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


async def open_show(redis: Redis, redis_keys: RedisKeys, show_id: str, offers: Iterable[SaleTerms]) -> None:
    """Load every offer's counter (HSETNX: a live counter is never overwritten) and mark the show live,
    in one MULTI so the tap path never sees a live show with half its offers. The show joins the workers' set
    first, outside the MULTI: that set is global, and a MULTI on a Redis Cluster stays on one slot."""
    show_keys = redis_keys.show(show_id)
    await redis.sadd(redis_keys.active_shows, show_id)
    async with redis.pipeline(transaction=True) as pipe:
        for terms in offers:
            _queue_offer(pipe, show_keys, terms)
        pipe.set(show_keys.state, "live")
        pipe.set(show_keys.loaded, "1")
        await pipe.execute()


async def open_offer(redis: Redis, redis_keys: RedisKeys, show_id: str, terms: SaleTerms) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        _queue_offer(pipe, redis_keys.show(show_id), terms)
        await pipe.execute()


def _queue_offer(pipe: Redis, show_keys: ShowKeys, terms: SaleTerms) -> None:
    pipe.hsetnx(show_keys.stock, terms.offer_id, terms.stock)
    pipe.hset(show_keys.offer(terms.offer_id), mapping=terms.redis_fields())


async def update_terms(redis: Redis, redis_keys: RedisKeys, show_id: str, terms: SaleTerms) -> None:
    """Change price, limit or sale window of an offer that is already on sale (its counter stays)."""
    await redis.hset(redis_keys.show(show_id).offer(terms.offer_id), mapping=terms.redis_fields())


async def close_show(redis: Redis, redis_keys: RedisKeys, show_id: str, offer_ids: list[str]) -> dict[str, int]:
    """Stop the sale and move what is left of each offer to the returned tally. Returns units moved now."""
    show_keys = redis_keys.show(show_id)
    keys = [show_keys.state, show_keys.stock, show_keys.returned]
    flat = await script(redis, "close_show")(keys=keys, args=offer_ids)
    return {str(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}


async def remaining(redis: Redis, redis_keys: RedisKeys, show_id: str) -> dict[str, int]:
    raw = await redis.hgetall(redis_keys.show(show_id).stock)
    return {str(k): int(v) for k, v in raw.items()}


async def returned(redis: Redis, redis_keys: RedisKeys, show_id: str) -> dict[str, int]:
    raw = await redis.hgetall(redis_keys.show(show_id).returned)
    return {str(k): int(v) for k, v in raw.items()}
