"""Product cards.

The current card of a show is kept in the room hash in Redis (which offer, pinned or not, when pushed), so a
join in any process shows it. A card's countdown is always the offer's real sale window, which flash deals
open and close (live.commerce.sale_windows)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from db.models import Show
from live.errors import Conflict
from live.rediskeys import ShowKeys
from live.schemas.room import Card
from live.schemas.shows import OfferOut


@dataclass(frozen=True, slots=True)
class CardState:
    offer_id: str
    pinned: bool
    pushed_at: datetime

    def to_json(self) -> str:
        return json.dumps({"offer_id": self.offer_id, "pinned": self.pinned, "pushed_at": self.pushed_at.isoformat()})

    @classmethod
    def from_json(cls, raw: str | None) -> CardState | None:
        if not raw:
            return None
        data = json.loads(raw)
        return cls(data["offer_id"], bool(data["pinned"]), datetime.fromisoformat(data["pushed_at"]))


def on_sale(show_state: str, offer: OfferOut, now: datetime) -> bool:
    starts, ends = offer.sale_starts_at, offer.sale_ends_at
    return show_state == "live" and (starts is None or starts <= now) and (ends is None or ends > now)


def render(offer: OfferOut, state: CardState, show_state: str, remaining: int, now: datetime) -> Card:
    return Card(
        **offer.model_dump(exclude={"remaining"}), remaining=remaining, pinned=state.pinned,
        on_sale=on_sale(show_state, offer, now), deal_ends_at=offer.sale_ends_at, pushed_at=state.pushed_at,
    )


async def save_state(redis: Redis, show_keys: ShowKeys, state: CardState | None) -> None:
    """Set (or clear) the current card and bump the room's revision in one round trip."""
    async with redis.pipeline(transaction=True) as pipe:
        if state is None:
            pipe.hdel(show_keys.room, "card")
        else:
            pipe.hset(show_keys.room, "card", state.to_json())
        pipe.hincrby(show_keys.room, "rev", 1)
        await pipe.execute()


async def bump_rev(redis: Redis, show_keys: ShowKeys) -> None:
    """Something a join snapshot caches changed: every process reloads it on the next join."""
    await redis.hincrby(show_keys.room, "rev", 1)


def require_live(show: Show) -> None:
    if show.state != "live":
        raise Conflict("the show is not live", code="show_not_live")
