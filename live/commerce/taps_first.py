"""Taps first: in a process that answers taps and also runs the background workers (``live serve`` with one
web process), the workers hold back while taps are arriving, for a bounded time.

Why: a deal drop is a second or a few of taps, and each order then costs the drain (persist, capture,
persist the payment, tell the buyer) more CPU than its tap. On one event loop the two take turns, so a drain
running during the drop slows every answer. Nothing waits on the drain to be safe: a 201 is already durable
in Redis's append-only file, and reservation deadlines wait while persistence lags (expiry.py). So the
drain waits for a quiet moment, at most ``hold_seconds`` in a row; past that it runs alongside the taps, as
before, until it has caught up. ``live serve --workers N`` gets the same from the OS: its workers run in
a child process of their own at a lower priority (``LIVE_WORKER_NICE``), and never hold back here.
"""

from __future__ import annotations

import asyncio
import time

QUIET_SECONDS = 0.02  # no tap for this long: the drop is over, or a pause in it
STEP_SECONDS = 0.01


class TapActivity:
    """When this process last took a tap (the order desk notes each)."""

    def __init__(self) -> None:
        self.last = float("-inf")

    def tapped(self) -> None:
        self.last = time.monotonic()

    def busy(self) -> bool:
        return time.monotonic() - self.last < QUIET_SECONDS


class Holdback:
    """One background consumer's waiting: ``wait`` holds it while taps are arriving, up to ``hold_seconds``
    since it began to hold; ``caught_up`` (a read that found less than a full batch) makes it wait again at
    the next drop."""

    def __init__(self, activity: TapActivity, hold_seconds: float):
        self.activity = activity
        self.hold_seconds = hold_seconds
        self._since: float | None = None

    async def wait(self) -> None:
        while self.hold_seconds > 0 and self.activity.busy():
            now = time.monotonic()
            if self._since is None:
                self._since = now
            elif now - self._since >= self.hold_seconds:
                return  # held long enough: drain alongside the taps until caught up
            await asyncio.sleep(STEP_SECONDS)

    def caught_up(self) -> None:
        self._since = None
