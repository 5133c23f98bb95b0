"""What makes a pasted link render as a product or a live event in a social app: Open Graph and Twitter card
tags, and schema.org JSON-LD (``Product`` with ``offers`` and ``aggregateRating``; ``BroadcastEvent`` for a
show). Pure functions from plain values to HTML text; every value is escaped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from live.reach.feeds import feed_price

SCHEMA = "https://schema.org"


@dataclass(frozen=True, slots=True)
class Card:
    """One shared link: what the preview shows."""

    kind: str  # og:type: product, video.other
    title: str
    description: str
    url: str
    image: str
    price_cents: int | None = None
    currency: str | None = None


def price_amount(cents: int) -> str:
    return feed_price(cents, "").strip()


def meta_tags(card: Card) -> str:
    pairs: list[tuple[str, str, str]] = [
        ("property", "og:type", card.kind), ("property", "og:title", card.title),
        ("property", "og:description", card.description), ("property", "og:url", card.url),
        ("property", "og:image", card.image), ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", card.title), ("name", "twitter:description", card.description),
        ("name", "twitter:image", card.image),
    ]
    if card.price_cents is not None and card.currency:
        amount = price_amount(card.price_cents)
        pairs += [("property", "product:price:amount", amount), ("property", "product:price:currency", card.currency),
                  ("property", "og:price:amount", amount), ("property", "og:price:currency", card.currency),
                  ("name", "twitter:label1", "Price"), ("name", "twitter:data1", f"{amount} {card.currency}")]
    tags = [f'<meta {attr}="{escape(name)}" content="{escape(value)}">' for attr, name, value in pairs]
    tags.append(f'<meta name="description" content="{escape(card.description)}">')
    tags.append(f'<link rel="canonical" href="{escape(card.url)}">')
    return "\n  ".join(tags)


def json_ld(data: dict[str, Any]) -> str:
    """A JSON-LD script element; '<' is escaped so no value can close the element."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/ld+json">{text}</script>'


def product_ld(card: Card, product_id: str, brand: str, in_stock: bool, rating: tuple[float, int] | None
               ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": SCHEMA, "@type": "Product", "productID": product_id, "sku": product_id, "name": card.title,
        "description": card.description, "image": [card.image], "url": card.url,
        "brand": {"@type": "Brand", "name": brand},
        "offers": {
            "@type": "Offer", "url": card.url, "price": price_amount(card.price_cents or 0),
            "priceCurrency": card.currency, "itemCondition": f"{SCHEMA}/NewCondition",
            "availability": f"{SCHEMA}/InStock" if in_stock else f"{SCHEMA}/OutOfStock",
        },
    }
    if rating is not None and rating[1] > 0:
        data["aggregateRating"] = {"@type": "AggregateRating", "ratingValue": round(rating[0], 2),
                                   "reviewCount": rating[1], "bestRating": 5, "worstRating": 1}
    return data


def broadcast_ld(card: Card, state: str, starts_at: datetime, ended_at: datetime | None, host: str
                 ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": SCHEMA, "@type": "BroadcastEvent", "name": card.title, "description": card.description,
        "url": card.url, "image": [card.image], "startDate": starts_at.isoformat(),
        "isLiveBroadcast": True, "eventStatus": f"{SCHEMA}/EventScheduled",
        "performer": {"@type": "Person", "name": host},
    }
    if ended_at is not None:
        data["endDate"] = ended_at.isoformat()
    if state == "live":
        data["publication"] = {"@type": "BroadcastEvent", "isLiveBroadcast": True,
                               "startDate": starts_at.isoformat()}
    return data
