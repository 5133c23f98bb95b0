"""iCalendar feed of a merchant's upcoming and live shows, so viewers can add reminders."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from db.models import Show

log = logging.getLogger("live.calendar")
DEFAULT_DURATION = timedelta(hours=1)


def _planned_end(starts_at: datetime) -> datetime:
    """An hour after the start, or the last moment of the calendar for a show scheduled in its last hour."""
    return starts_at + min(DEFAULT_DURATION, datetime.max.replace(tzinfo=starts_at.tzinfo) - starts_at)


def shows_calendar(merchant_name: str, shows: list[Show], public_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//live-shopping//shows//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{merchant_name} live shows")
    base = public_url.rstrip("/")
    for show in shows:
        try:
            cal.add_component(_event(show, base))
        except (OverflowError, ValueError):  # one show the format cannot hold must not break the feed
            log.warning("show left out of the calendar feed", extra={"show_id": show.id})
    return cal.to_ical()


def _event(show: Show, base: str) -> Event:
    event = Event()
    event.add("uid", f"{show.id}@live-shopping")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", show.starts_at)
    event.add("dtend", show.ended_at or _planned_end(show.starts_at))
    event.add("summary", show.title)
    event.add("description", f"{show.description}\n\nWatch: {base}/watch/{show.id}".strip())
    event.add("url", f"{base}/watch/{show.id}")
    reminder = Alarm()
    reminder.add("action", "DISPLAY")
    reminder.add("description", f"{show.title} starts in 10 minutes")
    reminder.add("trigger", timedelta(minutes=-10))
    event.add_component(reminder)
    return event
