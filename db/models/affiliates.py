"""Who brought the buyer: affiliates, their terms, clicks and commission entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import ID, ORDER_ID, Base, Money, utcnow


class Affiliate(Base):
    """Someone a merchant pays for the buyers they bring; signs in with a user of role 'affiliate'."""

    __tablename__ = "affiliates"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column()


class AffiliateTerms(Base):
    """Commission terms from ``effective_at`` on: an order earns by the terms in effect when it was placed."""

    __tablename__ = "affiliate_terms"
    __table_args__ = (
        CheckConstraint("percent_bp BETWEEN 0 AND 10000", name="percent_range"),
        CheckConstraint("per_new_buyer_cents >= 0", name="lead_nonnegative"),
        Index("ix_affiliate_terms_affiliate_id_effective_at", "affiliate_id", "effective_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"))
    percent_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points: 1000 = 10%
    per_new_buyer_cents: Mapped[int] = mapped_column(Money, default=0)
    effective_at: Mapped[datetime] = mapped_column(default=utcnow)


class AffiliateClick(Base):
    """One visit through ``/r/{code}``."""

    __tablename__ = "affiliate_clicks"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"), index=True)
    show_id: Mapped[str | None] = mapped_column(ID)
    product_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommissionEntry(Base):
    """The affiliates' ledger: a percent or lead entry when an attributed order is paid, a negative
    reversal when it is refunded. ``entry_key`` makes the paid entries idempotent; ``lead_key`` (merchant
    and buyer) lets a buyer bring at most one lead fee per merchant."""

    __tablename__ = "commission_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'lead', 'reversal')", name="kind"),
        Index("ix_commission_entries_affiliate_id_created_at", "affiliate_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    affiliate_id: Mapped[str] = mapped_column(ForeignKey("affiliates.id"))
    merchant_id: Mapped[str] = mapped_column(ID, index=True)
    order_id: Mapped[str] = mapped_column(ORDER_ID, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # reversals: the refund they answer
    entry_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    lead_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Community and trust (live.community): votes, questions and answers, experts, complaints.
