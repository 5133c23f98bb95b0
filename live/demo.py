"""``live demo``: a merchant, a host, a viewer ready for one-tap buying, four products and a live show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Merchant, Product, Show, User
from live import accounts, catalogue
from live.realtime import cards
from live.rediskeys import RedisKeys
from live.schemas.accounts import Address, ViewerCreate
from live.schemas.catalogue import ProductIn, ProductPatch
from live.schemas.shows import OfferIn, ShowIn
from live.shows import lifecycle, lineup

MERCHANT = ("Demo Boutique", "merchant@example.com", "demo-merchant")
HOST = ("Ava (host)", "host@example.com", "demo-host1")
VIEWER = ("Sam", "viewer@example.com", "demo-viewer")
SHOW_TITLE = "Friday Night Drops"
PRODUCTS = [
    ("SNKR-01", "Court Classic sneakers", 8900, 40, 5900, 20, 2, "sneakers"),
    ("BAG-02", "Canvas weekender bag", 6500, 25, 3900, 10, 1, "bag"),
    ("LIP-03", "Velvet lip trio", 2400, 200, 1500, 100, 3, "lips"),
    ("WATCH-04", "Field watch, olive strap", 14900, 12, 9900, 5, 1, "watch"),
]
IMAGES = "/static/img/demo/{}.svg"  # committed illustrations, so the demo looks right offline


@dataclass
class DemoLogins:
    show_id: str
    merchant_id: str


async def database_is_empty(session: AsyncSession) -> bool:
    return await session.scalar(select(Merchant.id).limit(1)) is None


async def _user(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def seed(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, public_url: str) -> DemoLogins:
    """Idempotent: finds what exists by its email, sku or title and makes only what is missing (a demo
    product without a picture gets its illustration, served by this server at ``public_url``)."""
    owner = await _user(session, MERCHANT[1])
    if owner is None:
        _, owner = await accounts.create_merchant(session, MERCHANT[0], MERCHANT[1], MERCHANT[2])
    merchant_id = owner.merchant_id
    assert merchant_id
    host = await _user(session, HOST[1]) or await accounts.create_host(session, merchant_id, *HOST)
    if await _user(session, VIEWER[1]) is None:
        address = Address(name="Sam Viewer", line1="1 Market Street", city="Springfield", postal_code="12345",
                          country="US")
        await accounts.create_viewer(session, ViewerCreate(
            display_name=VIEWER[0], email=VIEWER[1], password=VIEWER[2], shipping_address=address,
            payment_method="pm_card_visa",
        ))
    existing = {p.sku: p for p in await catalogue.list_products(session, merchant_id, include_archived=True)}
    products: list[tuple[Product, int, int, int]] = []
    for sku, title, price, inventory, show_price, stock, limit, image in PRODUCTS:
        image_url = public_url.rstrip("/") + IMAGES.format(image)
        product = existing.get(sku) or await catalogue.create_product(session, merchant_id, ProductIn(
            sku=sku, title=title, description=f"{title}, demo product.", price_cents=price, currency="USD",
            inventory=inventory, image_url=image_url,
        ))
        if product.image_url is None:
            await catalogue.update_product(session, product, ProductPatch(image_url=image_url))
        products.append((product, show_price, stock, limit))
    show = await session.scalar(
        select(Show).where(Show.merchant_id == merchant_id, Show.title == SHOW_TITLE, Show.state != "ended")
    )
    if show is None:
        show = await lifecycle.create_show(session, merchant_id, ShowIn(
            title=SHOW_TITLE, description="New drops every ten minutes. Tap buy, it's yours.",
            starts_at=datetime.now(UTC), host_id=host.id,
        ))
        for product, show_price, wanted_stock, limit in products:
            await lineup.add_offer(session, redis, redis_keys, show, OfferIn(
                product_id=product.id, price_cents=show_price, stock=min(wanted_stock, product.inventory),
                per_buyer_limit=limit,
            ))
    if show.state == "scheduled":
        await lifecycle.start_show(session, redis, redis_keys, show)
        await pin_first_card(session, redis, redis_keys, show)
    return DemoLogins(show_id=show.id, merchant_id=merchant_id)


async def pin_first_card(session: AsyncSession, redis: Redis, redis_keys: RedisKeys, show: Show) -> None:
    """A visitor of the demo sees something to buy at once, before anyone opens the studio."""
    offers = await lineup.list_offers(session, show.id)
    if offers:
        await cards.save_state(redis, redis_keys.show(show.id), cards.CardState(offers[0].id, True, datetime.now(UTC)))


def describe(logins: DemoLogins, public_url: str) -> str:
    base = public_url.rstrip("/")
    return "\n".join([
        "Demo ready:",
        f"  watch (viewer):   {base}/watch/{logins.show_id}",
        f"  studio (host):    {base}/studio/{logins.show_id}   login {HOST[1]} / {HOST[2]}",
        f"  dashboard:        {base}/merchant               login {MERCHANT[1]} / {MERCHANT[2]}",
        f"  viewer account:   {VIEWER[1]} / {VIEWER[2]} (saved address, payment method pm_card_visa)",
        f"  calendar:         {base}/merchants/{logins.merchant_id}/shows.ics",
        f"  API docs:         {base}/api/docs",
    ])
