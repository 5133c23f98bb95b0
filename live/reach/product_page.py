"""The public product page ``/p/{id}`` and the share tags of a watch page: the product, its reviews summary
and the show that features it (live now, else the next one, else the latest that ended), rendered on the
server so that link previews (which run no script) see everything."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Merchant, Offer, Product, Review, Show, User
from live.errors import NotFound
from live.reach import share
from live.reach.feeds import absolute, feed_price


@dataclass(frozen=True, slots=True)
class Featured:
    show: Show
    offer: Offer


@dataclass(frozen=True, slots=True)
class ProductPage:
    product: Product
    merchant: Merchant
    rating: tuple[float, int] | None
    featured: Featured | None
    card: share.Card


async def rating_of(session: AsyncSession, product_id: str) -> tuple[float, int] | None:
    avg, count = (await session.execute(select(func.avg(Review.rating), func.count())
                                        .where(Review.product_id == product_id))).one()
    return (float(avg), int(count)) if count else None


async def featured_show(session: AsyncSession, product_id: str) -> Featured | None:
    rank = case((Show.state == "live", 0), (Show.state == "scheduled", 1), else_=2)
    row = (await session.execute(
        select(Show, Offer).join(Offer, Offer.show_id == Show.id).where(Offer.product_id == product_id)
        .order_by(rank, case((Show.state == "ended", Show.starts_at), else_=None).desc(), Show.starts_at)
        .limit(1))).first()
    return Featured(row[0], row[1]) if row else None


async def load(session: AsyncSession, product_id: str, public_url: str) -> ProductPage:
    product = await session.get(Product, product_id)
    if product is None or product.archived_at is not None:
        raise NotFound("no such product")
    merchant = await session.get(Merchant, product.merchant_id)
    assert merchant is not None  # a foreign key
    base = public_url.rstrip("/")
    card = share.Card("product", product.title, product.description or product.title, f"{base}/p/{product.id}",
                      absolute(base, product.image_url), product.price_cents, product.currency)
    rating, featured = await rating_of(session, product.id), await featured_show(session, product.id)
    return ProductPage(product, merchant, rating, featured, card)


def head(page: ProductPage) -> str:
    ld = share.product_ld(page.card, page.product.id, page.merchant.name, page.product.inventory > 0, page.rating)
    return f"{share.meta_tags(page.card)}\n  {share.json_ld(ld)}"


def _show_block(page: ProductPage) -> str:
    featured = page.featured
    if featured is None:
        return ""
    show, offer = featured.show, featured.offer
    title, url = escape(show.title), f"/watch/{escape(show.id)}"
    price = escape(feed_price(offer.price_cents, offer.currency))
    if show.state == "live":
        return (f'<section class="featured live" data-testid="featured-show"><span class="state-badge" '
                f'data-state="live">Live</span><h2>{title}</h2><p>Show price <strong>{price}</strong></p>'
                f'<a class="button primary" data-attributed href="{url}">Watch and buy</a></section>')
    if show.state == "scheduled":
        calendar = f"/merchants/{escape(show.merchant_id)}/shows.ics"
        return (f'<section class="featured upcoming" data-testid="featured-show"><h2>{title}</h2>'
                f'<p>Starts in <time data-countdown datetime="{show.starts_at.isoformat()}">'
                f'{show.starts_at:%Y-%m-%d %H:%M} UTC</time> · show price <strong>{price}</strong></p>'
                f'<a class="button" data-attributed href="{url}">Open the show</a> '
                f'<a class="button" href="{calendar}">Add to calendar</a></section>')
    return (f'<section class="featured ended" data-testid="featured-show"><h2>{title}</h2>'
            f'<p class="muted">This show has ended.</p></section>')


def body(page: ProductPage) -> str:
    product = page.product
    rating = ""
    if page.rating:
        avg, count = page.rating
        rating = (f'<p class="rating" data-testid="rating">★ {avg:.1f} · {count} review{"s" if count != 1 else ""}'
                  f'</p>')
    stock = "In stock" if product.inventory > 0 else "Out of stock"
    return (f'<article class="product" data-testid="product"><img src="{escape(page.card.image)}" '
            f'alt="{escape(product.title)}"><div><h1>{escape(product.title)}</h1>'
            f'<p class="muted">{escape(page.merchant.name)}</p>'
            f'<p class="price" data-testid="price">{escape(feed_price(product.price_cents, product.currency))}</p>'
            f'{rating}<p class="muted">{stock}</p><p>{escape(product.description)}</p>'
            f'{_show_block(page)}</div></article>')


async def watch_head(session: AsyncSession, show_id: str, public_url: str) -> str:
    """The share tags of ``/watch/{id}`` ('' for an unknown show: the page says so itself)."""
    show = await session.get(Show, show_id)
    if show is None:
        return ""
    base = public_url.rstrip("/")
    first = (await session.execute(
        select(Product.image_url, Offer.price_cents, Offer.currency).join(Offer, Offer.product_id == Product.id)
        .where(Offer.show_id == show.id).order_by(Offer.position).limit(1))).first()
    image, price, currency = first if first else (None, None, None)
    host = await session.scalar(select(User.display_name).where(User.id == show.host_id)) or ""
    card = share.Card("video.other", show.title, show.description or f"Live shopping with {host}",
                      f"{base}/watch/{show.id}", absolute(base, image), price, currency)
    ld = share.broadcast_ld(card, show.state, show.starts_at, show.ended_at, host)
    return f"{share.meta_tags(card)}\n  {share.json_ld(ld)}"
