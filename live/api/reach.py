"""Public reach endpoints: affiliate links (``/r/{code}``), product pages (``/p/{id}``) and the catalogue
feeds the social platforms fetch."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from live.api.pages import html_page
from live.api.routing import ApiRouter, Call
from live.reach import attribution, feeds, product_page
from live.schemas.reach import RedirectQuery

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
                                                               "title": page.product.title})


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
