"""A review changes a product's rating: every live show selling the product reloads its lineup on the next
join, and a show whose card shows the product sends the card again with the new rating and count."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import select

from db.models import Offer, Show
from db.session import Sessionmaker
from live.realtime import cards
from live.realtime.broadcaster import Broadcaster
from live.realtime.host import render_card
from live.rediskeys import RedisKeys


async def on_review_changed(sessionmaker: Sessionmaker, redis: Redis, redis_keys: RedisKeys, broadcaster: Broadcaster,
                            product_id: str) -> None:
    async with sessionmaker() as session:
        found = (await session.execute(
            select(Show, Offer).join(Offer, Offer.show_id == Show.id)
            .where(Offer.product_id == product_id, Show.state == "live"))).all()
        for show, offer in found:
            show_keys = redis_keys.show(show.id)
            await cards.bump_rev(redis, show_keys)
            state = cards.CardState.from_json(await redis.hget(show_keys.room, "card"))  # type: ignore[arg-type]
            if state is not None and state.offer_id == offer.id:
                await broadcaster.card(show.id, await render_card(redis, redis_keys, session, show, offer, state))
