"""Products in a merchant's catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from live.schemas.common import Cents, Currency, Input, Output, Query, Text, Title, Units, Url

Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class ProductIn(Input):
    sku: Sku
    title: Title
    description: Text = ""
    image_url: Url | None = None
    price_cents: Cents
    currency: Currency
    inventory: Units = 0


class ProductPatch(Input):
    sku: Sku | None = None
    title: Title | None = None
    description: Text | None = None
    image_url: Url | None = None
    price_cents: Cents | None = None
    currency: Currency | None = None
    inventory: Units | None = None
    archived: bool | None = None


class ProductQuery(Query):
    include_archived: bool = False


class ProductOut(Output):
    id: str
    merchant_id: str
    sku: str
    title: str
    description: str
    image_url: str | None
    price_cents: int
    currency: str
    inventory: int
    archived: bool
    created_at: datetime
    updated_at: datetime


class ProductList(Output):
    products: list[ProductOut]
