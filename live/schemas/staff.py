"""What the studio shows its host about the sale (GET /api/shows/{id}/sales and the staff socket events)."""

from __future__ import annotations

from pydantic import Field

from live.schemas.common import Output
from live.schemas.orders import OrderOut


class OfferCounts(Output):
    sold: int = Field(description="Paid units")
    reserved: int = Field(description="Units held by reservations not paid yet")
    remaining: int = Field(description="Units still for sale")


class StaffOrder(OrderOut):
    buyer_name: str | None = Field(description="The buyer's display name")


class SalesOut(Output):
    counters: dict[str, OfferCounts] = Field(description="Per offer id")
    orders: list[StaffOrder] = Field(description="The newest orders first (at most 20)")
