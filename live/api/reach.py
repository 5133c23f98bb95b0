"""Public reach endpoints: affiliate links (``/r/{code}``), product pages (``/p/{id}``) and the catalogue
feeds the social platforms fetch."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select

from db.models import Offer, Product
from live.api.pages import html_page
from live.api.routing import ApiRouter, Call
from live.reach import attribution, discovery, feeds, product_page
from live.realtime import cards
from live.schemas.reach import Discover, DiscoverCard, DiscoverShow, RedirectQuery

router = ApiRouter("reach")


@router.get("/r/{code}", summary="An affiliate's link: counts the click, keeps the attribution (live_ref cookie, "
            "last click wins) and redirects to the show or product page", roles=None, query=RedirectQuery,
            status=302, content_type="text/html")
async def affiliate_link(call: Call[None, RedirectQuery]) -> web.Response:
    query = call.query
    async with call.session() as session:
        affiliate, target = await attribution.record_click(session, call.path("code"), query.show, query.product)
    utm = {k: v for k, v in query.model_dump(include=set(attribution.UTM_FIELDS)).items() if v}
    # The code also rides in the URL: an embedded page whose cookies are blocked keeps it in localStorage.
    response = web.Response(status=302, headers={"Location": f"{target}?{urlencode({'ref': affiliate.code, **utm})}",
                                                 "Cache-Control": "no-store"})
    response.set_cookie(attribution.COOKIE, attribution.cookie_value(affiliate.code, utm),
                        max_age=call.settings.attribution_cookie_days * 86400, samesite="Lax",
                        secure=call.settings.cookie_secure, path="/")
    return response


@router.get("/p/{product_id}", summary="A product's public page (Open Graph, Twitter card, schema.org JSON-LD)",
            roles=None, content_type="text/html")
async def product(call: Call[None, None]) -> web.Response:
    async with call.session() as session:
        page = await product_page.load(session, call.path("product_id"), call.settings.public_url)
    return html_page("product.html", product_page.head(page), {"product": product_page.body(page),
                                                               "title": escape(page.product.title)})


async def _feed(call: Call[None, None], content_type: str) -> web.Response:
    async with call.session() as session:
        catalogue = await feeds.catalogue(session, call.path("merchant_id"), call.settings.public_url)
    body = feeds.to_xml(catalogue) if content_type.endswith("xml") else feeds.to_csv(catalogue)
    tag = feeds.etag(body)
    headers = {"ETag": tag, "Cache-Control": "public, max-age=300"}
    if feeds.not_modified(call.request.headers.get("If-None-Match"), tag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


@router.get("/merchants/{merchant_id}/catalog.xml", summary="Product feed, RSS 2.0 with the g: namespace "
            "(conditional GET by ETag)", roles=None, content_type="application/rss+xml", extra_responses={
                304: "Not modified since the If-None-Match ETag"})
async def catalog_xml(call: Call[None, None]) -> web.Response:
    return await _feed(call, "application/rss+xml")


@router.get("/merchants/{merchant_id}/catalog.csv", summary="Product feed as CSV (the platforms' upload columns; "
            "conditional GET by ETag)", roles=None, content_type="text/csv", extra_responses={
                304: "Not modified since the If-None-Match ETag"})
async def catalog_csv(call: Call[None, None]) -> web.Response:
    return await _feed(call, "text/csv")


async def _live_now(call: Call[None, None], tiles: list[DiscoverShow]) -> None:
    """Each live show's viewer count and the card on screen, as the room has them."""
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    async with call.redis.pipeline(transaction=False) as pipe:
        for tile in tiles:
            pipe.zcount(call.redis_keys.show(tile.id).audience, now_ms, "+inf")
            pipe.hget(call.redis_keys.show(tile.id).room, "card")
        replies = await pipe.execute()
    states = {}
    for i, tile in enumerate(tiles):
        tile.viewers = int(replies[2 * i])
        if state := cards.CardState.from_json(replies[2 * i + 1]):
            states[tile.id] = state.offer_id
    if not states:
        return
    async with call.session() as session:
        rows = await session.execute(select(Offer, Product).join(Product, Product.id == Offer.product_id)
                                     .where(Offer.id.in_(list(states.values()))))
        offers = {offer.id: (offer, product) for offer, product in rows.all()}
    for tile in tiles:
        if (found := offers.get(states.get(tile.id, ""))) is not None:
            offer, product = found
            tile.card = DiscoverCard(offer_id=offer.id, title=product.title, image_url=product.image_url,
                                     price_cents=offer.price_cents, currency=offer.currency)


@router.get("/api/discover", summary="The front door: shows live now (viewers, card on screen), upcoming and recent",
            roles=None, response=Discover)
async def discover(call: Call[None, None]) -> Discover:
    async with call.session() as session:
        found = await discovery.discover(session, call.settings.public_url)
    await _live_now(call, found["live"])
    return Discover(**found)
