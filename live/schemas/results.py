"""A show's results for its merchant and host: audience, orders, revenue, conversion, per offer and per minute.

Only paid orders count as sold: units, revenue, buyers and the per-minute orders are paid orders. Reserved,
declined and expired orders appear only in the order counts by status."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from live.schemas.common import Output
from live.schemas.community import ComplaintStats
from live.schemas.reach import SourceResult
from live.schemas.shows import ShowState


class OrderCounts(Output):
    """Orders of the show by status (every tap that got an order, paid or not)."""

    total: int = 0
    reserved: int = Field(default=0, description="Waiting for payment")
    paid: int = 0
    payment_failed: int = Field(default=0, description="Declined by the payment provider")
    expired: int = Field(default=0, description="Not paid before the reservation's deadline")


class Revenue(Output):
    currency: str
    amount_cents: int = Field(description="Paid orders only, integer minor units")


class OfferResult(Output):
    offer_id: str
    product_id: str
    title: str
    currency: str
    price_cents: int = Field(description="The show price")
    stock: int = Field(description="Units allocated to the show")
    orders: int = Field(description="Paid orders")
    units_sold: int = Field(description="Units in paid orders")
    revenue_cents: int = Field(description="Revenue of paid orders, in the offer's currency")
    buyers: int = Field(description="Distinct buyers with a paid order")


class MinuteResult(Output):
    minute: datetime = Field(description="Start of the minute, UTC")
    viewers: int = Field(description="Most concurrent viewers during the minute")
    orders: int = Field(description="Paid orders placed during the minute")
    units: int = Field(description="Units of those orders")


CONVERSION = (
    "Buyers divided by viewers: distinct accounts with at least one paid order, over the unique viewers of "
    "the live room (a buyer counts as a viewer even when they bought without opening the room, so it never "
    "exceeds 1). Null when nobody watched or bought."
)


class ShowResults(Output):
    show_id: str
    title: str
    state: ShowState
    started_at: datetime | None
    ended_at: datetime | None
    peak_viewers: int = Field(description="Most concurrent viewers in the live room")
    unique_viewers: int = Field(description="Distinct visitors who joined the live room (HyperLogLog estimate)")
    orders: OrderCounts
    units_sold: int = Field(description="Units in paid orders")
    revenue: list[Revenue] = Field(description="Paid revenue per currency")
    buyers: int = Field(description="Distinct buyers with at least one paid order")
    conversion: float | None = Field(description=CONVERSION)
    offers: list[OfferResult]
    by_source: list[SourceResult] = Field(
        default_factory=list, description="Viewers and paid orders per affiliate, per utm_source and direct")
    minutes: list[MinuteResult] = Field(
        description="One entry per minute from the first to the last minute with viewers or orders, gaps "
                    "filled with zeros")
    complaints: ComplaintStats | None = Field(default=None, description="Problems reported with the show's orders")
