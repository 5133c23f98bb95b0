"""Media tickets: what a 307 to a media node carries in its Location URL, because a cross-origin redirect
drops the ``Authorization`` header (browsers' fetch and aiohttp's client both do). A ticket is short-lived,
signed with a key derived from the shared secret, good for one call, and bound to the show, the action
(``publish``, ``watch``, or ``pull`` for an edge node), the node it sends the caller to and the principal."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import jwt
from redis.asyncio import Redis

from live.auth import Principal
from live.errors import Forbidden

Action = Literal["publish", "watch", "pull"]
TICKET_TTL_SECONDS = 30
_AUDIENCE = "media-ticket"
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Ticket:
    show_id: str
    action: Action
    node_id: str
    principal: Principal | None  # None for anonymous viewers and for nodes
    id: str = ""


class TicketService:
    def __init__(self, secret: str, ttl_seconds: int = TICKET_TTL_SECONDS) -> None:
        self._key = hmac.new(secret.encode(), b"media-tickets", hashlib.sha256).hexdigest()
        self.ttl_seconds = ttl_seconds

    def issue(self, show_id: str, action: Action, node_id: str, principal: Principal | None) -> str:
        now = int(time.time())
        claims: dict[str, object] = {"aud": _AUDIENCE, "show": show_id, "act": action, "node": node_id,
                                     "jti": secrets.token_urlsafe(12), "iat": now, "exp": now + self.ttl_seconds}
        if principal is not None:
            claims.update(sub=principal.user_id, role=principal.role, mid=principal.merchant_id,
                          name=principal.display_name)
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def verify(self, token: str, show_id: str, actions: tuple[Action, ...], node_id: str) -> Ticket:
        try:
            claims = jwt.decode(token, self._key, algorithms=[_ALGORITHM], audience=_AUDIENCE,
                                options={"require": ["exp", "jti", "show", "act", "node"]})
        except jwt.PyJWTError as exc:
            raise Forbidden("the media ticket is invalid or expired: POST again", code="invalid_ticket") from exc
        if claims["show"] != show_id or claims["act"] not in actions or claims["node"] != node_id:
            raise Forbidden("this media ticket is for another call", code="invalid_ticket")
        principal = None
        if "sub" in claims:
            principal = Principal(claims["sub"], claims["role"], claims.get("mid"), claims.get("name", ""))
        return Ticket(show_id, claims["act"], node_id, principal, claims["jti"])

    async def redeem(self, redis: Redis, used_key: str, token: str, show_id: str, actions: tuple[Action, ...],
                     node_id: str) -> Ticket:
        """Verify, then mark the ticket used (``used_key`` names a key for its id): a second use is refused."""
        ticket = self.verify(token, show_id, actions, node_id)
        if not await redis.set(f"{used_key}:{ticket.id}", 1, nx=True, ex=self.ttl_seconds + 5):
            raise Forbidden("this media ticket was already used: POST again", code="invalid_ticket")
        return ticket
