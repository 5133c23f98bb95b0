"""Who may open one more viewing session on this node: seats per show, and few unconnected sessions per
client address (an idle offer costs a port and a seat until ``whep_connect_timeout_seconds``, so offers that
never connect must not fill a show's seats)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from streams.errors import MediaError, MediaRateLimited
from streams.peer import PeerSession
from streams.settings import MediaSettings


class ViewerAdmission:
    """Counts the viewing sessions being answered, by client address, and refuses what is over the limits."""

    def __init__(self, settings: MediaSettings) -> None:
        self._settings = settings
        self._opening: dict[str, int] = {}

    def pending_from(self, client_address: str, sessions: Iterable[PeerSession]) -> int:
        """Viewing sessions from this address being opened or not connected yet."""
        return self._opening.get(client_address, 0) + sum(
            1 for s in sessions if s.role == "viewer" and s.connected_at is None and s.client_address == client_address
        )

    def check(self, audience: int, seats: int, client_address: str, sessions: Iterable[PeerSession]) -> None:
        """503 when the show's ``seats`` here are taken, 429 when this address has too many unconnected offers."""
        retry_after = self._settings.whep_connect_timeout_seconds
        if audience >= seats:
            raise MediaError("this show has as many viewers as this server takes", code="at_capacity",
                             status=503, retry_after=retry_after)
        if self.pending_from(client_address, sessions) >= self._settings.whep_pending_per_address:
            raise MediaRateLimited("too many unconnected viewing sessions from here", retry_after)

    @contextmanager
    def opening(self, client_address: str) -> Iterator[None]:
        """While a viewing session from this address is being answered."""
        self._opening[client_address] = self._opening.get(client_address, 0) + 1
        try:
            yield
        finally:
            self._opening[client_address] -= 1
            if not self._opening[client_address]:
                del self._opening[client_address]
