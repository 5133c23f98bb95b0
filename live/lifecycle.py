"""In-process notifications of a show's state changes, so realtime (the ``show`` event) and media (closing
peers at the end) react without the show domain knowing about them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from db.models import Show

log = logging.getLogger("live.lifecycle")
Listener = Callable[[Show], Awaitable[None]]


class ShowLifecycle:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def changed(self, show: Show) -> None:
        """Tell every listener; one failing listener is logged and does not stop the others."""
        for listener in self._listeners:
            try:
                await listener(show)
            except Exception:
                log.exception("show lifecycle listener failed", extra={"show_id": show.id})
