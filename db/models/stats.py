"""What a show did: its per-minute counters and its totals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Money, utcnow


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
