"""Attribution: where a viewer or buyer came from. An affiliate's link ``/r/{code}`` records a click and
leaves the code (and any UTM fields) in the ``live_ref`` cookie, last click wins; the pages send it with a
tap (the order records it) and with a socket join (viewer counts by source).

The tap path stays free of SQL: the order carries the code as given, and the persistence worker resolves
it to the affiliate when it writes the order (an unknown or inactive code, or another merchant's, attributes
nothing)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Affiliate, AffiliateClick, Product, Show
from live.errors import NotFound
from live.ids import new_id
from live.reach.affiliates import active_by_code
from live.schemas.reach import Attribution, Utm

COOKIE = "live_ref"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
DIRECT = "direct"


def order_fields(ref: str | None, utm: Utm | None) -> str:
    """The attribution as the tap script stores it in the order ('' for none: nothing added)."""
    if ref is None and utm is None:
        return ""
    fields = {"ref": ref, **(utm.model_dump() if utm else {})}
    present = {k: v for k, v in fields.items() if v}
    return json.dumps(present, separators=(",", ":")) if present else ""


def source_labels(attribution: Attribution | None) -> list[str]:
    """The viewer-count buckets a join falls in: the affiliate's code and/or the utm_source, else direct."""
    labels = []
    if attribution and attribution.ref:
        labels.append(f"ref:{attribution.ref}")
    if attribution and attribution.utm and attribution.utm.utm_source:
        labels.append(f"utm:{attribution.utm.utm_source}")
    return labels or [DIRECT]


def cookie_value(code: str, utm: dict[str, str]) -> str:
    """The fields as a query string, percent-encoded once more so the cookie needs no quoting."""
    return quote(urlencode({"ref": code, **utm}), safe="")


async def click_target(session: AsyncSession, affiliate: Affiliate, show_id: str | None,
                       product_id: str | None) -> str:
    """Where an affiliate's link leads: the show or product asked for (the merchant's own), else the
    merchant's live show, else its next one, else the home page."""
    if product_id:
        product = await session.get(Product, product_id)
        if product is None or product.merchant_id != affiliate.merchant_id or product.archived_at is not None:
            raise NotFound("no such product")
        return f"/p/{product.id}"
    if show_id:
        show = await session.get(Show, show_id)
        if show is None or show.merchant_id != affiliate.merchant_id:
            raise NotFound("no such show")
        return f"/watch/{show.id}"
    for state in ("live", "scheduled"):
        found = await session.scalar(select(Show.id).where(Show.merchant_id == affiliate.merchant_id,
                                                           Show.state == state).order_by(Show.starts_at).limit(1))
        if found:
            return f"/watch/{found}"
    return "/"


async def record_click(session: AsyncSession, code: str, show_id: str | None, product_id: str | None
                       ) -> tuple[Affiliate, str]:
    """Count one click on an active affiliate's link; returns the affiliate and the page it leads to."""
    affiliate = await active_by_code(session, code)
    if affiliate is None:
        raise NotFound("no such affiliate link", code="unknown_link")
    target = await click_target(session, affiliate, show_id, product_id)
    session.add(AffiliateClick(id=new_id("clk"), affiliate_id=affiliate.id, show_id=show_id, product_id=product_id))
    await session.commit()
    return affiliate, target


async def resolve_refs(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Order rows about to be written: replace each ``ref`` (an affiliate's code) by ``affiliate_id`` when
    the code is an active affiliate of the show's merchant. One query per batch."""
    codes = {row["ref"] for row in rows if row.get("ref")}
    found: dict[tuple[str, str], str] = {}
    if codes:
        show_ids = {row["show_id"] for row in rows if row.get("ref")}
        merchants = dict((await session.execute(select(Show.id, Show.merchant_id).where(Show.id.in_(show_ids)))).all())
        for affiliate_id, code, merchant_id in (await session.execute(
                select(Affiliate.id, Affiliate.code, Affiliate.merchant_id)
                .where(Affiliate.code.in_(codes), Affiliate.active.is_(True)))).all():
            found.update({(code, show_id): affiliate_id for show_id, m in merchants.items() if m == merchant_id})
    for row in rows:
        row["affiliate_id"] = found.get((row.pop("ref", None) or "", row["show_id"]))
