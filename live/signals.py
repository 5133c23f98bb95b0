"""In-process signals: one part of the app announces something (a show went live, the host's video dropped,
an order was paid) and others react (socket.io events, closing media peers) without the announcer knowing
them. Listeners run in order; one that fails is logged and does not stop the others."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger("live.signals")
T = TypeVar("T")


class Signal(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[[T], Awaitable[None]]] = []

    def subscribe(self, listener: Callable[[T], Awaitable[None]]) -> None:
        self._listeners.append(listener)

    async def send(self, value: T) -> None:
        for listener in self._listeners:
            try:
                await listener(value)
            except Exception:
                log.exception("signal listener failed", extra={"signal": self.name})


@dataclass(frozen=True, slots=True)
class BroadcastState:
    """Whether the host's media is reaching the server: ``on_air`` False means viewers see 'paused'."""

    show_id: str
    on_air: bool
