"""The catalogue feeds validate (XML parser, csv module) for every product, answer 304 to a matching ETag,
and the product and watch pages carry parseable share tags and schema.org JSON-LD."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

from aiohttp.test_utils import TestClient

from db.models import Review
from live import keys
from live.ids import new_id
from tests.helpers import Actor, Api

G = "{http://base.google.com/ns/1.0}"
PRICE = re.compile(r"^\d+\.\d{2} [A-Z]{3}$")
FIELDS = ("id", "title", "description", "link", "image_link", "availability", "price", "condition", "brand")


async def catalogue(api: Api) -> tuple[Actor, dict[str, dict[str, Any]]]:
    owner = await api.merchant("Bright & <Bold>")
    products = {
        "boots": await api.product(owner, title="Boots", price_cents=12900, currency="EUR", inventory=4,
                                   image_url="https://cdn.example/boots.jpg", description="Leather, size 42"),
        "empty": await api.product(owner, title="Sold out hat", price_cents=5, currency="EUR", inventory=0),
        "gone": await api.product(owner, title="Archived", price_cents=100, currency="EUR", inventory=9),
    }
    await api.call("PATCH", f"/api/products/{products['gone']['id']}", owner, json={"archived": True}, expect=200)
    return owner, products


def assert_absolute(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc, url


async def test_catalog_xml_validates_for_every_product(api: Api, client: TestClient) -> None:
    owner, products = await catalogue(api)
    async with client.get(f"/merchants/{owner.merchant_id}/catalog.xml") as response:
        assert response.status == 200 and response.content_type == "application/rss+xml"
        tag = response.headers["ETag"]
        root = ET.fromstring(await response.read())
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    by_id = {item.findtext(f"{G}id"): item for item in items}
    assert set(by_id) == {products["boots"]["id"], products["empty"]["id"]}, "archived products are left out"
    for item in items:
        for field in FIELDS:
            assert (item.findtext(f"{G}{field}") or "").strip(), f"g:{field} missing"
        assert PRICE.match(item.findtext(f"{G}price") or ""), item.findtext(f"{G}price")
        assert item.findtext(f"{G}availability") in ("in stock", "out of stock")
        assert item.findtext(f"{G}condition") == "new"
        assert item.findtext(f"{G}brand") == "Bright & <Bold>"
        for field in ("link", "image_link"):
            assert_absolute(item.findtext(f"{G}{field}") or "")
        assert parse_qs(urlsplit(item.findtext(f"{G}link") or "").query)["utm_source"] == ["catalog"]
    boots = by_id[products["boots"]["id"]]
    assert (boots.findtext(f"{G}price"), boots.findtext(f"{G}availability")) == ("129.00 EUR", "in stock")
    assert boots.findtext(f"{G}image_link") == "https://cdn.example/boots.jpg"
    empty = by_id[products["empty"]["id"]]
    assert (empty.findtext(f"{G}price"), empty.findtext(f"{G}availability")) == ("0.05 EUR", "out of stock")

    async with client.get(f"/merchants/{owner.merchant_id}/catalog.xml", headers={"If-None-Match": tag}) as again:
        assert again.status == 304 and await again.read() == b"", "a platform's refetch is cheap"
    await api.call("PATCH", f"/api/products/{products['empty']['id']}", owner, json={"inventory": 3}, expect=200)
    async with client.get(f"/merchants/{owner.merchant_id}/catalog.xml", headers={"If-None-Match": tag}) as changed:
        assert changed.status == 200, "availability follows the free inventory"
        item = next(i for i in ET.fromstring(await changed.read()).iter("item")
                    if i.findtext(f"{G}id") == products["empty"]["id"])
        assert item.findtext(f"{G}availability") == "in stock"


async def test_catalog_csv_has_the_upload_columns(api: Api, client: TestClient) -> None:
    owner, products = await catalogue(api)
    async with client.get(f"/merchants/{owner.merchant_id}/catalog.csv") as response:
        assert response.status == 200 and response.content_type == "text/csv"
        tag = response.headers["ETag"]
        rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert {r["id"] for r in rows} == {products["boots"]["id"], products["empty"]["id"]}
    for row in rows:
        assert set(row) == set(FIELDS) and all(row[f] for f in FIELDS)
        assert PRICE.match(row["price"]) and row["availability"] in ("in stock", "out of stock")
        assert_absolute(row["link"])
        assert_absolute(row["image_link"])
        assert "utm_source=catalog" in row["link"]
    async with client.get(f"/merchants/{owner.merchant_id}/catalog.csv", headers={"If-None-Match": f'W/{tag}'}) as r:
        assert r.status == 304
    async with client.get("/merchants/mer_00000000000000000000000/catalog.csv") as unknown:
        assert unknown.status == 404 and (await unknown.json())["error"]["code"] == "not_found"


class Head(HTMLParser):
    """The share tags and JSON-LD blocks of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.ld: list[Any] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("property") or values.get("name")):
            self.meta[str(values.get("property") or values.get("name"))] = str(values.get("content"))
        self._in_ld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld.append(json.loads(data))
            self._in_ld = False


async def page_head(client: TestClient, path: str) -> tuple[Head, str]:
    async with client.get(path) as response:
        assert response.status == 200 and response.content_type == "text/html"
        text = await response.text()
    head = Head()
    head.feed(text)
    return head, text


async def test_product_page_shares_as_a_product(api: Api, client: TestClient) -> None:
    owner, products = await catalogue(api)
    boots = products["boots"]
    show = await api.show(owner, title="Winter drop")
    await api.offer(owner, show["id"], boots["id"], price_cents=9900, stock=2)
    async with client.app[keys.sessionmaker_key]() as session:
        for rating in (5, 4):
            reviewer = await api.viewer()
            session.add(Review(id=new_id("rev"), product_id=boots["id"], user_id=reviewer.id, rating=rating))
        await session.commit()

    head, text = await page_head(client, f"/p/{boots['id']}")
    assert head.meta["og:type"] == "product" and head.meta["og:title"] == "Boots"
    assert head.meta["og:image"] == "https://cdn.example/boots.jpg"
    assert (head.meta["product:price:amount"], head.meta["product:price:currency"]) == ("129.00", "EUR")
    assert head.meta["twitter:card"] == "summary_large_image" and head.meta["twitter:title"] == "Boots"
    assert_absolute(head.meta["og:url"])
    (ld,) = head.ld
    assert (ld["@context"], ld["@type"], ld["name"]) == ("https://schema.org", "Product", "Boots")
    assert ld["offers"] | {"url": None} == {
        "@type": "Offer", "url": None, "price": "129.00", "priceCurrency": "EUR",
        "itemCondition": "https://schema.org/NewCondition", "availability": "https://schema.org/InStock"}
    assert ld["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": 4.5, "reviewCount": 2,
                                     "bestRating": 5, "worstRating": 1}
    assert ld["brand"]["name"] == "Bright & <Bold>"
    assert "Winter drop" in text and "Add to calendar" in text, "the upcoming show that features it"
    assert "Bright &amp; &lt;Bold&gt;" in text, "escaped in the page"

    await api.call("POST", f"/api/shows/{show['id']}/start", owner, expect=200)
    _, live_text = await page_head(client, f"/p/{boots['id']}")
    assert "Watch and buy" in live_text and f'href="/watch/{show["id"]}"' in live_text

    head, _ = await page_head(client, f"/p/{products['empty']['id']}")
    assert "aggregateRating" not in head.ld[0], "no reviews, no rating"
    assert head.ld[0]["offers"]["availability"] == "https://schema.org/OutOfStock"
    async with client.get(f"/p/{products['gone']['id']}") as archived:
        assert archived.status == 404


async def test_watch_page_shares_as_a_live_event(api: Api, client: TestClient) -> None:
    owner, products = await catalogue(api)
    show = await api.show(owner, title="Boots </script> live", description="Winter boots, live")
    await api.offer(owner, show["id"], products["boots"]["id"], price_cents=9900, stock=2)
    head, _ = await page_head(client, f"/watch/{show['id']}")
    assert head.meta["og:title"] == "Boots </script> live"
    assert head.meta["og:description"] == "Winter boots, live"
    assert head.meta["og:image"] == "https://cdn.example/boots.jpg"
    assert (head.meta["product:price:amount"], head.meta["twitter:data1"]) == ("99.00", "99.00 EUR"), \
        "the lineup's first show price"
    (ld,) = head.ld
    assert (ld["@type"], ld["name"], ld["isLiveBroadcast"]) == ("BroadcastEvent", "Boots </script> live", True)
    assert ld["startDate"].startswith(show["starts_at"][:16])
    async with client.get("/watch/shw_00000000000000000000000") as unknown:
        assert unknown.status == 200, "the page itself tells of an unknown show"
