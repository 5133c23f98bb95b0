"""What is sold and when: products, shows and the offers a show makes of its products."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import ID, Base, Money, utcnow


class Product(Base):
    """A catalogue item. ``inventory`` is what is free: stock allocated to a show leaves it until the show
    ends and its remainder comes back."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("merchant_id", "sku", name="merchant_sku"),
        CheckConstraint("price_cents >= 0", name="price_nonnegative"),
        CheckConstraint("inventory >= 0", name="inventory_nonnegative"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(String(2048))
    price_cents: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    inventory: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Show(Base):
    __tablename__ = "shows"
    __table_args__ = (
        CheckConstraint("state IN ('scheduled', 'live', 'ended')", name="state"),
        Index("ix_shows_state_starts_at", "state", "starts_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    host_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0)
    record: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Offer(Base):
    """A product in a show's lineup: show price, stock allocated to the show, per-buyer limit, sale window.
    ``returned`` is the stock handed back to the product's inventory when the show ended (or later, when a
    reservation made during the show expired)."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("show_id", "product_id", name="show_product"),
        CheckConstraint("stock >= 0", name="stock_nonnegative"),
        CheckConstraint("per_buyer_limit >= 1", name="limit_positive"),
        CheckConstraint("price_cents >= 0", name="price_nonnegative"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    price_cents: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer)
    per_buyer_limit: Mapped[int] = mapped_column(Integer, default=1)
    sale_starts_at: Mapped[datetime | None] = mapped_column()
    sale_ends_at: Mapped[datetime | None] = mapped_column()
    returned: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
