"""Shows and their lineup of offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from live.schemas.common import Cents, Id, Input, Output, Query, Text, Title, Units, UtcTime

ShowState = Literal["scheduled", "live", "ended"]
BuyerLimit = Annotated[int, Field(ge=1, le=1000)]


class ShowIn(Input):
    title: Title
    description: Text = ""
    starts_at: UtcTime
    host_id: Id
    record: bool = Field(default=False, description="Record the host's video (without re-encoding) for a replay")


class ShowPatch(Input):
    title: Title | None = None
    description: Text | None = None
    starts_at: UtcTime | None = None
    host_id: Id | None = None
    record: bool | None = Field(default=None, description="Switch recording on or off, also during the show")


class SaleWindow(Input):
    sale_starts_at: UtcTime | None = None
    sale_ends_at: UtcTime | None = None

    @model_validator(mode="after")
    def _window_order(self) -> SaleWindow:
        if self.sale_starts_at and self.sale_ends_at and self.sale_ends_at <= self.sale_starts_at:
            raise ValueError("sale_ends_at must be after sale_starts_at")
        return self


class OfferIn(SaleWindow):
    product_id: Id
    price_cents: Cents
    stock: Units
    per_buyer_limit: BuyerLimit = 1


class OfferPatch(SaleWindow):
    price_cents: Cents | None = None
    stock: Units | None = None
    per_buyer_limit: BuyerLimit | None = None


class ShowListQuery(Query):
    state: ShowState | None = None
    merchant_id: Id | None = None


class HostOut(Output):
    id: str
    display_name: str


class OfferOut(Output):
    id: str
    show_id: str
    product_id: str
    position: int
    title: str
    description: str
    image_url: str | None
    list_price_cents: int
    price_cents: int
    currency: str
    stock: int = Field(description="Units allocated to the show")
    remaining: int = Field(description="Units still for sale")
    per_buyer_limit: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    rating: float | None = Field(default=None, description="Average review rating, 1-5")
    reviews: int = 0


class ShowSummary(Output):
    id: str
    merchant_id: str
    merchant_name: str
    title: str
    description: str
    starts_at: datetime
    state: ShowState
    started_at: datetime | None
    ended_at: datetime | None
    host: HostOut
    watch_url: str
    record: bool = False


class ShowOut(ShowSummary):
    offers: list[OfferOut]


class ShowList(Output):
    shows: list[ShowSummary]


class OfferCreated(Output):
    offer: OfferOut
