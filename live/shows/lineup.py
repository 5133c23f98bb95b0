"""A show's lineup: its offers, their terms and the stock allocated to them.

Allocating stock to an offer takes it out of the product's free inventory in SQL; what a show hands back at
its end (or as reservations expire) returns to it.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Offer, Product, Show
from live.commerce import stock
from live.commerce.sale_windows import sale_terms
from live.errors import Conflict, Invalid, NotFound
from live.ids import new_id
from live.rediskeys import RedisKeys
from live.schemas.shows import OfferIn, OfferPatch


async def _take_inventory(session: AsyncSession, product_id: str, units: int) -> None:
    """Move units out of the product's free inventory; a conditional UPDATE so two allocations never
    take the same units."""
    if units == 0:
        return
    result = await session.execute(
        update(Product)
        .where(Product.id == product_id, Product.inventory >= units)
        .values(inventory=Product.inventory - units)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Invalid("stock is more than the product's free inventory", code="insufficient_inventory")


async def _give_inventory(session: AsyncSession, product_id: str, units: int) -> None:
    if units:
        await session.execute(
            update(Product).where(Product.id == product_id).values(inventory=Product.inventory + units)
        )


async def add_offer(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show, data: OfferIn) -> Offer:
    if show.state == "ended":
        raise Conflict("the show has ended", code="show_ended")
    product = await session.get(Product, data.product_id)
    if product is None or product.merchant_id != show.merchant_id:
        raise Invalid("product_id is not a product of this merchant", code="invalid_product")
    if product.archived_at is not None:
        raise Invalid("the product is archived", code="product_archived")
    position = await session.scalar(select(func.count()).where(Offer.show_id == show.id)) or 0
    offer = Offer(
        id=new_id("off"), show_id=show.id, currency=product.currency, position=position, **data.model_dump()
    )
    await _take_inventory(session, product.id, data.stock)
    session.add(offer)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("this product is already in the show's lineup", code="offer_exists") from exc
    if show.state == "live":
        await stock.open_offer(redis, redis_keys, show.id, sale_terms(offer))
    await session.commit()
    return offer


async def get_offer(session: AsyncSession, show: Show, offer_id: str) -> Offer:
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.show_id != show.id:
        raise NotFound("no such offer in this show")
    return offer


async def update_offer(
    session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show, offer: Offer, patch: OfferPatch
) -> Offer:
    """Terms may change at any time before the end; the allocated stock only before the show starts
    (once live, the counter in Redis is the truth)."""
    if show.state == "ended":
        raise Conflict("the show has ended", code="show_ended")
    changes = patch.model_dump(exclude_unset=True)
    new_stock = changes.pop("stock", None)
    if new_stock is not None and new_stock != offer.stock:
        if show.state != "scheduled":
            raise Conflict("stock can only change before the show starts", code="show_live")
        delta = new_stock - offer.stock
        if delta > 0:
            await _take_inventory(session, offer.product_id, delta)
        else:
            await _give_inventory(session, offer.product_id, -delta)
        offer.stock = new_stock
    for field, value in changes.items():
        if value is not None or field.startswith("sale_"):
            setattr(offer, field, value)
    starts, ends = offer.sale_starts_at, offer.sale_ends_at
    if starts and ends and ends <= starts:
        raise Invalid("sale_ends_at must be after sale_starts_at")
    await session.flush()
    if show.state == "live":
        await stock.update_terms(redis, redis_keys, show.id, sale_terms(offer))
    await session.commit()
    return offer


async def remove_offer(session: AsyncSession, show: Show, offer: Offer) -> None:
    if show.state != "scheduled":
        raise Conflict("offers can only be removed before the show starts", code="show_live")
    await _give_inventory(session, offer.product_id, offer.stock)
    await session.delete(offer)
    await session.commit()


async def list_offers(session: AsyncSession, show_id: str) -> list[Offer]:
    return list(await session.scalars(select(Offer).where(Offer.show_id == show_id).order_by(Offer.position)))


async def sync_returned_stock(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show_id: str) -> int:
    """Bring SQL up to Redis's tally of returned units: each offer's ``returned`` and the product's free
    inventory grow by the difference. Idempotent, so it can run after every late expiry and after a crash."""
    tally = await stock.returned(redis, redis_keys, show_id)
    moved = 0
    for offer in await list_offers(session, show_id):
        delta = tally.get(offer.id, 0) - offer.returned
        if delta > 0:
            result = await session.execute(
                update(Offer)
                .where(Offer.id == offer.id, Offer.returned == offer.returned)
                .values(returned=offer.returned + delta)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                await _give_inventory(session, offer.product_id, delta)
                moved += delta
    await session.commit()
    return moved
