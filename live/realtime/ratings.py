"""A review changes a product's rating: every live show selling the product reloads its lineup on the next
join, and a show whose card shows the product sends the card again with the new rating and count."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Offer, Show
from live.realtime import cards
from live.realtime.host import render_card
from live.realtime.room import Room


async def on_review_changed(room: Room, product_id: str) -> None:
    async with room.session() as session:
        found = (await session.execute(
            select(Show, Offer).join(Offer, Offer.show_id == Show.id)
            .where(Offer.product_id == product_id, Show.state == "live"))).all()
        for show, offer in found:
            sk = room.rk.show(show.id)
            await cards.bump_rev(room.redis, sk)
            state = cards.CardState.from_json(await room.redis.hget(sk.room, "card"))  # type: ignore[arg-type]
            if state is not None and state.offer_id == offer.id:
                await room.broadcaster.card(show.id, await render_card(room, session, show, offer, state))
