"""Catalogue feeds for the social platforms' shops: RSS 2.0 with Google's ``g:`` product namespace, and the
same items as CSV with the column names the platforms' catalogue uploads take (id, title, description,
availability, condition, price, link, image_link, brand). Archived products are left out; availability
follows the free inventory; every link carries ``utm_source=catalog``. The ETag is a digest of the body,
so a platform's hourly fetch gets 304 until something changed."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Merchant, Product
from live.lookup import found

G_NS = "http://base.google.com/ns/1.0"
CSV_COLUMNS = ("id", "title", "description", "availability", "condition", "price", "link", "image_link", "brand")
IN_STOCK, OUT_OF_STOCK = "in stock", "out of stock"
PLACEHOLDER = "/static/img/product-placeholder.svg"  # a product without a picture
ET.register_namespace("g", G_NS)


def feed_price(cents: int, currency: str) -> str:
    """'129.00 EUR': the platforms' price format (two decimals, a point, the ISO code)."""
    return f"{cents // 100}.{cents % 100:02d} {currency}"


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: str
    title: str
    description: str
    availability: str
    condition: str
    price: str
    link: str
    image_link: str
    brand: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    merchant_name: str
    link: str
    items: list[FeedItem]


def absolute(public_url: str, url: str | None) -> str:
    if not url:
        return f"{public_url}{PLACEHOLDER}"
    return url if url.startswith(("http://", "https://")) else f"{public_url}/{url.lstrip('/')}"


async def catalogue(session: AsyncSession, merchant_id: str, public_url: str) -> Catalogue:
    merchant = await found(session, Merchant, merchant_id, "merchant")
    base = public_url.rstrip("/")
    products = await session.scalars(select(Product).where(Product.merchant_id == merchant_id,
                                                           Product.archived_at.is_(None)).order_by(Product.id))
    items = [
        FeedItem(id=p.id, title=p.title, description=p.description or p.title,
                 availability=IN_STOCK if p.inventory > 0 else OUT_OF_STOCK, condition="new",
                 price=feed_price(p.price_cents, p.currency),
                 link=f"{base}/p/{p.id}?utm_source=catalog&utm_medium=feed",
                 image_link=absolute(base, p.image_url), brand=merchant.name)
        for p in products
    ]
    return Catalogue(merchant.name, f"{base}/", items)


def to_xml(feed: Catalogue) -> bytes:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = f"{feed.merchant_name} catalogue"
    ET.SubElement(channel, "link").text = feed.link
    ET.SubElement(channel, "description").text = f"Products of {feed.merchant_name}"
    for item in feed.items:
        node = ET.SubElement(channel, "item")
        ET.SubElement(node, "title").text = item.title
        ET.SubElement(node, "link").text = item.link
        ET.SubElement(node, "description").text = item.description
        for name in CSV_COLUMNS:
            ET.SubElement(node, f"{{{G_NS}}}{name}").text = getattr(item, name)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def to_csv(feed: Catalogue) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in feed.items:
        writer.writerow([getattr(item, name) for name in CSV_COLUMNS])
    return out.getvalue().encode()


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110: If-None-Match is a list of (possibly weak) tags, or '*'."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or tag in tags
