"""Reach and attribution: affiliates and their terms, the commission ledger, attribution on a tap or a join."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, EmailStr, Field, StringConstraints

from live.schemas.common import Cents, Id, Input, Name, Output, Password, Query, QueryMoment
from live.schemas.shows import ShowSummary

AffiliateCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{4,32}$"),
                          Field(description="An affiliate's link code, as in /r/{code}")]
UtmValue = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._~+-]+$")]
Percent = Annotated[float, Field(ge=0, le=100, multiple_of=0.01,
                                 description="Percent of the order amount, e.g. 10 for 10% (two decimals at most)")]


class Utm(Input):
    utm_source: UtmValue | None = None
    utm_medium: UtmValue | None = None
    utm_campaign: UtmValue | None = None


class Attribution(Input):
    """Where a buyer or viewer came from, as the page stored it: an affiliate's code and the UTM fields."""

    ref: AffiliateCode | None = None
    utm: Utm | None = None


class CommissionIn(Input):
    per_new_buyer_cents: Cents = Field(default=0, description="Paid once per buyer new to the merchant (the lead)")
    percent: Percent = 0


class AffiliateCreate(Input):
    display_name: Name
    email: EmailStr
    password: Password
    commission: CommissionIn = Field(default_factory=CommissionIn)


class AffiliatePatch(Input):
    commission: CommissionIn | None = Field(default=None, description="New terms, for orders placed from now on")
    active: Literal[False] | None = Field(default=None, description="false deactivates (links stop attributing)")


class CommissionOut(Output):
    per_new_buyer_cents: int
    percent: float
    effective_at: datetime


class AffiliateOut(Output):
    id: str
    code: str
    merchant_id: str
    user_id: str
    display_name: str
    email: str | None
    active: bool
    commission: CommissionOut
    link: str = Field(description="The affiliate's link to the merchant's live shows (add ?show= or ?product=)")
    created_at: datetime


class AffiliateCreated(Output):
    affiliate: AffiliateOut


class AffiliateList(Output):
    affiliates: list[AffiliateOut]


class LedgerEntryOut(Output):
    order_id: str
    kind: Literal["percent", "lead", "reversal"]
    amount_cents: int = Field(description="Negative for a reversal")
    currency: str
    created_at: datetime


class LedgerTotals(Output):
    pending: int = Field(description="Commission of paid orders still inside the hold period (refunds reverse it)")
    earned: int = Field(description="Commission past the hold period")
    reversed: int = Field(description="Commission taken back by refunds (a positive amount)")


class Ledger(Output):
    entries: list[LedgerEntryOut]
    totals: LedgerTotals


class PayoutsQuery(Query):
    from_: Annotated[QueryMoment | None, Field(alias="from", description="Entries created at or after (UTC)")] = None
    to: Annotated[QueryMoment | None, Field(description="Entries created before (UTC)")] = None


class RedirectQuery(Query):
    """Links pasted into social apps come back with their own parameters (fbclid, ...): those are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    show: Id | None = None
    product: Id | None = None
    utm_source: UtmValue | None = None
    utm_medium: UtmValue | None = None
    utm_campaign: UtmValue | None = None


class AffiliateLink(Output):
    kind: Literal["show", "product"]
    id: str
    title: str
    url: str
    state: str | None = None


class AffiliateStats(Output):
    clicks: int
    viewers: int = Field(description="Unique viewers who joined a show through the affiliate's links")
    buyers: int = Field(description="Distinct buyers with a paid attributed order")
    orders: int = Field(description="Paid attributed orders")


class AttributedOrder(Output):
    id: str
    show_id: str
    status: str
    amount_cents: int
    currency: str
    created_at: datetime


class AffiliateDashboard(Output):
    affiliate: AffiliateOut
    merchant_name: str
    links: list[AffiliateLink]
    stats: AffiliateStats
    totals: LedgerTotals
    orders: list[AttributedOrder]


class SourceResult(Output):
    """One source of a show's audience and sales. An order with both an affiliate and a utm_source counts
    in both rows; 'direct' is everything with neither."""

    kind: Literal["affiliate", "utm_source", "direct"]
    source: str = Field(description="The affiliate's code, the utm_source value, or 'direct'")
    display_name: str | None = Field(default=None, description="The affiliate's name")
    viewers: int = Field(description="Unique viewers who joined the live room from this source (estimate)")
    buyers: int = Field(description="Distinct buyers with a paid order from this source")
    orders: int = Field(description="Paid orders from this source")
    revenue_cents: int = Field(description="Revenue of those orders (the show's currency)")
    conversion: float | None = Field(description="Buyers over viewers (as the show's conversion)")


class DiscoverCard(Output):
    """The product the host is showing right now."""

    offer_id: str
    title: str
    image_url: str | None
    price_cents: int
    currency: str


class DiscoverShow(ShowSummary):
    image_url: str = Field(description="The show's picture: its first product's")
    viewers: int | None = Field(default=None, description="Watching now (live shows)")
    card: DiscoverCard | None = Field(default=None, description="The card on screen now (live shows)")


class Discover(Output):
    live: list[DiscoverShow]
    upcoming: list[DiscoverShow]
    recent: list[DiscoverShow]
