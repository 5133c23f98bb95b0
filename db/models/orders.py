"""What was bought and paid: orders, payments and the payment provider's webhook events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import ID, ORDER_ID, Base, Money, utcnow


class Order(Base):
    """Written by the persistence worker from the show's Redis order stream, idempotently by id."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("show_id", "buyer_id", "idempotency_key", name="show_buyer_key"),
        CheckConstraint(
            "status IN ('reserved', 'paid', 'payment_failed', 'expired')", name="status"
        ),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        Index("ix_orders_show_id_id", "show_id", "id"),
        Index("ix_orders_buyer_id_id", "buyer_id", "id"),
    )

    id: Mapped[str] = mapped_column(ORDER_ID, primary_key=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"))
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Reach: who brought the buyer (live.reach.attribution); null for a direct order.
    affiliate_id: Mapped[str | None] = mapped_column(ID, index=True)
    utm_source: Mapped[str | None] = mapped_column(String(100))
    utm_medium: Mapped[str | None] = mapped_column(String(100))
    utm_campaign: Mapped[str | None] = mapped_column(String(100))
    # community: live.commerce.refunds
    refunded_cents: Mapped[int] = mapped_column(Money, default=0, server_default="0")


class Payment(Base):
    """One attempt to capture an order's amount through the payment provider."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'refunded', 'partly_refunded')", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ORDER_ID, index=True, unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(128), index=True)
    method: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    # community: live.commerce.refunds
    refunded_cents: Mapped[int] = mapped_column(Money, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """Provider webhook ids already handled, so a redelivery changes nothing."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
