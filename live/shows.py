"""Show scheduling domain: shows, their lineup of offers, and the state machine scheduled -> live -> ended.

Allocating stock to an offer takes it out of the product's free inventory in SQL; starting the show copies
the counters into Redis; ending it closes the sale and hands what is left back to the inventory.
"""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Merchant, Offer, Product, Review, Show, User
from live.auth import Principal
from live.commerce import stock
from live.errors import Conflict, Forbidden, Invalid, NotFound
from live.ids import new_id
from live.lookup import found
from live.rediskeys import RedisKeys
from live.schemas.shows import HostOut, OfferIn, OfferOut, OfferPatch, ShowIn, ShowOut, ShowPatch, ShowSummary

ALLOWED_TRANSITIONS = {("scheduled", "live"), ("live", "ended")}


async def get_show(session: AsyncSession, show_id: str) -> Show:
    return await found(session, Show, show_id, "show")


def require_owner(principal: Principal, show: Show) -> None:
    if not principal.owns_merchant(show.merchant_id):
        raise Forbidden("only the show's merchant may do this", code="not_owner")


def is_host_or_owner(principal: Principal, show: Show) -> bool:
    return principal.user_id == show.host_id or principal.owns_merchant(show.merchant_id)


def require_host_or_owner(principal: Principal, show: Show) -> None:
    if not is_host_or_owner(principal, show):
        raise Forbidden("only the show's host or merchant may do this", code="not_host")


async def _check_host(session: AsyncSession, merchant_id: str, host_id: str) -> None:
    """The host must be one of the merchant's hosts, or the merchant's owner account."""
    user = await session.get(User, host_id)
    if user is None or user.merchant_id != merchant_id or user.role not in ("host", "merchant"):
        raise Invalid("host_id is not a host of this merchant", code="invalid_host")


async def create_show(session: AsyncSession, merchant_id: str, data: ShowIn) -> Show:
    await _check_host(session, merchant_id, data.host_id)
    show = Show(id=new_id("shw"), merchant_id=merchant_id, **data.model_dump())
    session.add(show)
    await session.commit()
    return show


async def update_show(session: AsyncSession, show: Show, patch: ShowPatch) -> Show:
    if show.state == "ended":
        raise Conflict("an ended show cannot change", code="show_ended")
    changes = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None}
    if "host_id" in changes:
        await _check_host(session, show.merchant_id, changes["host_id"])
    for field, value in changes.items():
        setattr(show, field, value)
    await session.commit()
    return show


def sale_terms(offer: Offer) -> stock.SaleTerms:
    return stock.SaleTerms(
        offer.id, offer.stock, offer.price_cents, offer.currency, offer.per_buyer_limit,
        offer.sale_starts_at, offer.sale_ends_at,
    )


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


async def add_offer(session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show, data: OfferIn) -> Offer:
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
        await stock.open_offer(redis, rk, show.id, sale_terms(offer))
    await session.commit()
    return offer


async def get_offer(session: AsyncSession, show: Show, offer_id: str) -> Offer:
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.show_id != show.id:
        raise NotFound("no such offer in this show")
    return offer


async def update_offer(
    session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show, offer: Offer, patch: OfferPatch
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
        await stock.update_terms(redis, rk, show.id, sale_terms(offer))
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


async def _transition(session: AsyncSession, show: Show, target: str) -> None:
    """Compare-and-set on the state column so two concurrent requests cannot both make the move."""
    if (show.state, target) not in ALLOWED_TRANSITIONS:
        raise Conflict(f"a {show.state} show cannot become {target}", code="illegal_transition")
    stamp = {"started_at": datetime.now(UTC)} if target == "live" else {"ended_at": datetime.now(UTC)}
    result = await session.execute(
        update(Show).where(Show.id == show.id, Show.state == show.state).values(state=target, **stamp)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the show changed meanwhile", code="illegal_transition")


async def start_show(session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show) -> Show:
    await _transition(session, show, "live")
    offers = await list_offers(session, show.id)
    await stock.open_show(redis, rk, show.id, [sale_terms(o) for o in offers])
    await session.commit()
    await session.refresh(show)
    return show


async def end_show(session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show) -> Show:
    """The sale closes in Redis before the SQL state commits: a crash in between leaves a live show that
    sells nothing, and ending it again finishes the job (closing is idempotent)."""
    await _transition(session, show, "ended")
    offers = await list_offers(session, show.id)
    await stock.close_show(redis, rk, show.id, [o.id for o in offers])
    await session.commit()
    await sync_returned_stock(session, redis, rk, show.id)
    await session.refresh(show)
    return show


async def sync_returned_stock(session: AsyncSession, redis: Redis, rk: RedisKeys, show_id: str) -> int:
    """Bring SQL up to Redis's tally of returned units: each offer's ``returned`` and the product's free
    inventory grow by the difference. Idempotent, so it can run after every late expiry and after a crash."""
    tally = await stock.returned(redis, rk, show_id)
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


async def list_public_shows(session: AsyncSession, merchant_id: str | None, state: str | None) -> list[Show]:
    states = [state] if state else ["scheduled", "live"]
    query = select(Show).where(Show.state.in_(states)).order_by(Show.starts_at, Show.id)
    if merchant_id:
        query = query.where(Show.merchant_id == merchant_id)
    return list(await session.scalars(query.limit(200)))


async def list_merchant_shows(session: AsyncSession, merchant_id: str) -> list[Show]:
    query = select(Show).where(Show.merchant_id == merchant_id).order_by(Show.starts_at.desc(), Show.id)
    return list(await session.scalars(query.limit(500)))


async def summarize(session: AsyncSession, shows: list[Show], public_url: str) -> list[ShowSummary]:
    """Shows with their host and merchant names, in two queries whatever the number of shows."""
    host_ids = {s.host_id for s in shows}
    merchant_ids = {s.merchant_id for s in shows}
    hosts = dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(host_ids)))).all())
    names = dict(
        (await session.execute(select(Merchant.id, Merchant.name).where(Merchant.id.in_(merchant_ids)))).all()
    )
    return [
        ShowSummary(
            id=s.id, merchant_id=s.merchant_id, merchant_name=names.get(s.merchant_id, ""), title=s.title,
            description=s.description, starts_at=s.starts_at, state=s.state,
            started_at=s.started_at, ended_at=s.ended_at,
            host=HostOut(id=s.host_id, display_name=hosts.get(s.host_id, "")),
            watch_url=f"{public_url.rstrip('/')}/watch/{s.id}", record=s.record,
        )
        for s in shows
    ]


async def remaining_by_offer(redis: Redis, rk: RedisKeys, show: Show, offers: list[Offer]) -> dict[str, int]:
    """Before the show, what is allocated; from the start, Redis's counters."""
    if show.state == "scheduled":
        return {o.id: o.stock for o in offers}
    counters = await stock.remaining(redis, rk, show.id)
    return {o.id: counters.get(o.id, 0) for o in offers}


async def offer_views(
    session: AsyncSession, offers: list[Offer], remaining: dict[str, int]
) -> list[OfferOut]:
    product_ids = [o.product_id for o in offers]
    products = {p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    ratings = {
        pid: (float(avg), int(n))
        for pid, avg, n in (
            await session.execute(
                select(Review.product_id, func.avg(Review.rating), func.count())
                .where(Review.product_id.in_(product_ids))
                .group_by(Review.product_id)
            )
        ).all()
    }
    views = []
    for o in offers:
        p = products[o.product_id]
        avg, count = ratings.get(p.id, (None, 0))
        views.append(
            OfferOut(
                id=o.id, show_id=o.show_id, product_id=p.id, position=o.position, title=p.title,
                description=p.description, image_url=p.image_url, list_price_cents=p.price_cents,
                price_cents=o.price_cents, currency=o.currency, stock=o.stock,
                remaining=remaining.get(o.id, 0), per_buyer_limit=o.per_buyer_limit,
                sale_starts_at=o.sale_starts_at, sale_ends_at=o.sale_ends_at,
                rating=round(avg, 2) if avg is not None else None, reviews=count,
            )
        )
    return views


async def show_detail(session: AsyncSession, redis: Redis, rk: RedisKeys, show: Show, public_url: str) -> ShowOut:
    (summary,) = await summarize(session, [show], public_url)
    offers = await list_offers(session, show.id)
    remaining = await remaining_by_offer(redis, rk, show, offers)
    return ShowOut(**summary.model_dump(), offers=await offer_views(session, offers, remaining))
