"""What people say around a show: chat, moderation, reviews and their votes, questions, answers, experts, and
the merchant's community settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import ID, Base, utcnow


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
