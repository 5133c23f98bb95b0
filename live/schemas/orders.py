"""One-tap orders and payment webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from live.schemas.common import MAX_QUANTITY_PER_TAP, Id, Input, Output, Query
from live.schemas.reach import AffiliateCode, Utm

OrderStatus = Literal["reserved", "paid", "payment_failed", "expired"]


class OrderIn(Input):
    offer_id: Id
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY_PER_TAP, description="Units in this tap (at most 1000)")] = 1
    ref: AffiliateCode | None = Field(default=None, description="The affiliate who brought the buyer (live_ref)")
    utm: Utm | None = Field(default=None, description="The UTM fields of the link the buyer came by")


class OrderOut(Output):
    id: str
    show_id: str
    offer_id: str
    buyer_id: str
    status: OrderStatus
    quantity: int
    price_cents: int = Field(description="Unit price at the show")
    amount_cents: int = Field(description="price_cents x quantity")
    currency: str
    created_at: datetime
    expires_at: datetime = Field(description="An unpaid reservation returns its units at this time")
    failure_code: str | None = None
    refunded_cents: int = Field(default=0, description="Refunded of amount_cents (a complaint's refund)")


class OrderCreated(Output):
    order: OrderOut
    remaining: int = Field(description="Units of the offer still for sale")


class Buyer(Output):
    id: str
    display_name: str
    shipping_address: dict[str, str | None] | None


class MerchantOrderOut(OrderOut):
    buyer: Buyer


class OrderList(Output):
    orders: list[OrderOut]
    next_cursor: str | None


class MerchantOrderList(Output):
    orders: list[MerchantOrderOut]
    next_cursor: str | None


class OrderListQuery(Query):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


class WebhookIn(Input):
    type: Literal["payment.succeeded", "payment.failed"]
    data: dict[str, Any]


class WebhookAck(Output):
    received: bool
    duplicate: bool = False
