"""What went wrong with an order: issues (complaints) and their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import ID, ORDER_ID, Base, Money, utcnow


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
