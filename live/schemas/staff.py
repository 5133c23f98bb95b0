"""What the studio shows its host about the sale (GET /api/shows/{id}/sales and the staff socket events)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from live.schemas.common import Output


class OfferCounts(Output):
    sold: int = Field(description="Paid units")
    reserved: int = Field(description="Units held by reservations not paid yet")
    remaining: int = Field(description="Units still for sale")


class StaffOrder(Output):
    id: str
    show_id: str
    offer_id: str
    buyer_id: str
    buyer_name: str | None = Field(description="The buyer's display name")
    status: str
    quantity: int
    price_cents: int
    amount_cents: int
    currency: str
    created_at: datetime
    expires_at: datetime
    failure_code: str | None


class SalesOut(Output):
    counters: dict[str, OfferCounts] = Field(description="Per offer id")
    orders: list[StaffOrder] = Field(description="The newest orders first (at most 20)")
