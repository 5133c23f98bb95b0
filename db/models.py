"""The durable data model. Ids are application-made strings (see ``live.ids``); money is integer minor units
plus an ISO currency; every time is UTC.

Kept as one piece although it is long: it is the schema, tables that name each other by foreign key, read as a
whole next to the migrations, with nothing in it but the tables and the base and column types they share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes and always returns aware ones (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


ID = String(32)
Money = BigInteger  # minor units; 64-bit, so price x quantity of any tap fits (see live.schemas.common caps)
ORDER_ID = String(64)  # order ids carry their show's id (live.ids.new_order_id)


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    blocked_words: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """Every account: a merchant's owner, a host invited by a merchant, or a viewer."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('merchant', 'host', 'viewer', 'affiliate')", name="role"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column()
    payment_method: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_show_id_id", "show_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()
    deleted_by: Mapped[str | None] = mapped_column(ID)


class ShowModeration(Base):
    """A viewer muted (may watch, not chat) or banned (may not join) in one show."""

    __tablename__ = "show_moderation"
    __table_args__ = (CheckConstraint("kind IN ('mute', 'ban')", name="kind"),)

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    by_user_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("product_id", "user_id", name="product_user"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(2000), default="")  # the review's body
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Community (live.community.reviews): the merchant replies and reports, never edits or hides.
    title: Mapped[str | None] = mapped_column(String(120))
    edited_at: Mapped[datetime | None] = mapped_column()
    helpful: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reply: Mapped[str | None] = mapped_column(String(2000))
    replied_at: Mapped[datetime | None] = mapped_column()
    reported_at: Mapped[datetime | None] = mapped_column()
    report_reason: Mapped[str | None] = mapped_column(String(500))


class ShowMinute(Base):
    """Per-minute KPI series of a show, for the merchant's chart."""

    __tablename__ = "show_minutes"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)
    revenue_cents: Mapped[int] = mapped_column(Money, default=0)


class ShowStats(Base):
    """Totals of a show kept up to date while it runs: peak concurrent and unique viewers."""

    __tablename__ = "show_stats"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0)
    unique_viewers: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Reach and attribution (live.reach).
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


class ReviewVote(Base):
    """One vote per viewer and review; ``Review.helpful`` counts the helpful ones."""

    __tablename__ = "review_votes"

    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Question(Base):
    """Asked on a product's page, or in a live show's chat (then ``show_id`` and ``chat_message_id``)."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_product_id_id", "product_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    show_id: Mapped[str | None] = mapped_column(ForeignKey("shows.id"))
    chat_message_id: Mapped[str | None] = mapped_column(ID)
    answered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (CheckConstraint("label IN ('merchant', 'host', 'buyer')", name="label"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Expert(Base):
    """A merchant's decision about a customer: ``named`` an expert, or ``revoked`` (even if they qualify)."""

    __tablename__ = "experts"
    __table_args__ = (CheckConstraint("kind IN ('named', 'revoked')", name="kind"),)

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommunitySettings(Base):
    """A merchant's thresholds for automatic experts (defaults in live.community.experts)."""

    __tablename__ = "community_settings"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    expert_min_orders: Mapped[int] = mapped_column(Integer)
    expert_min_helpful: Mapped[int] = mapped_column(Integer)


class OrderIssue(Base):
    """A complaint about a paid order: open -> answered -> resolved (refund) or declined."""

    __tablename__ = "order_issues"
    __table_args__ = (
        CheckConstraint("kind IN ('not_received', 'damaged', 'wrong_item', 'other')", name="kind"),
        CheckConstraint("state IN ('open', 'answered', 'resolved', 'declined')", name="state"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ORDER_ID, index=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="open")
    refund_cents: Mapped[int] = mapped_column(Money, default=0)
    decline_reason: Mapped[str | None] = mapped_column(String(1000))
    first_answer_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderIssueMessage(Base):
    __tablename__ = "order_issue_messages"
    __table_args__ = (Index("ix_order_issue_messages_issue_id_id", "issue_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    issue_id: Mapped[str] = mapped_column(ForeignKey("order_issues.id"))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(16))  # buyer or merchant
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
