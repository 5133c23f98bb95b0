"""Who is connected to this process: each socket's caller (from its token, its cookie, or only a display name)
and the show room it joined."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any

from live import policy
from live.auth import COOKIE_NAME, Principal, TokenService
from live.errors import Unauthorized
from live.limits import hashed
from live.realtime.protocol import ConnectAuth, parse

ANONYMOUS_NAME = "Guest"


@dataclass(slots=True)
class Member:
    """One socket. ``principal`` is None for an anonymous watcher, who may watch but not chat or react."""

    sid: str
    principal: Principal | None
    display_name: str
    address: str = ""
    device_id: str | None = None
    show_id: str | None = None
    reaction_times: list[float] = field(default_factory=list)

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id if self.principal else None

    @property
    def visitor_id(self) -> str:
        """Who counts as one viewer: the account; else the page's device; else the client address (a socket
        that says nothing about itself counts once per address, never once per connection)."""
        if self.user_id:
            return self.user_id
        return f"dev:{hashed(self.device_id)}" if self.device_id else f"addr:{self.address}"

    @property
    def identified(self) -> bool:
        """Known by an account or a device (else only by its address, which many may share)."""
        return self.principal is not None or self.device_id is not None

    def signed_in(self) -> Principal:
        return policy.require_signed_in(self.principal)


def authenticate(tokens: TokenService, environ: Mapping[str, Any], auth: Any, sid: str, address: str,
                 public_origins: frozenset[str] = frozenset()) -> Member:
    """The ``auth`` token first; else the pages' HttpOnly cookie (our own pages only); else anonymous."""
    data = parse(ConnectAuth, auth if isinstance(auth, dict) else {})
    token = data.token or _cookie_token(environ, public_origins)
    if token:
        principal = tokens.verify(token)
        return Member(sid, principal, principal.display_name, address, data.device_id)
    return Member(sid, None, data.name or ANONYMOUS_NAME, address, data.device_id)


def own_origin(environ: Mapping[str, Any]) -> str:
    """The origin the client reached us at directly (a page of ours sends it as its Origin)."""
    request = environ.get("aiohttp.request")
    scheme = request.scheme if request is not None else "http"  # not X-Forwarded-Proto: anyone can send that
    return f"{scheme}://{environ.get('HTTP_HOST', '')}"


def _cookie_token(environ: Mapping[str, Any], public_origins: frozenset[str]) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(COOKIE_NAME)
    except CookieError:
        return None
    if morsel is None:
        return None
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and origin != own_origin(environ) and origin not in public_origins:
        return None  # another site's page must not ride on our cookie (cross-site websocket hijacking)
    return morsel.value


class Members:
    """The sockets of this process by sid. Which room a socket is in is socket.io's manager's business (a ban
    in another process takes a socket out of a room through it)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Member] = {}
        self._watching: dict[tuple[str, str], int] = {}  # (show, visitor) -> sockets here in the audience

    def add(self, member: Member) -> None:
        self._by_sid[member.sid] = member

    def find(self, sid: str) -> Member | None:
        return self._by_sid.get(sid)

    def watch(self, show_id: str, visitor_id: str) -> None:
        key = (show_id, visitor_id)
        self._watching[key] = self._watching.get(key, 0) + 1

    def unwatch(self, show_id: str, visitor_id: str) -> bool:
        """One socket of the visitor left the audience; True if it was their last one here."""
        key = (show_id, visitor_id)
        left = self._watching.get(key, 0) - 1
        if left > 0:
            self._watching[key] = left
            return False
        self._watching.pop(key, None)
        return True

    def get(self, sid: str) -> Member:
        member = self._by_sid.get(sid)
        if member is None:
            raise Unauthorized("this connection is not signed in to the room", code="not_connected")
        return member

    def remove(self, sid: str) -> Member | None:
        return self._by_sid.pop(sid, None)
