"""Who is connected to this process: each socket's caller (from its token, its cookie, or only a display name)
and the show room it joined."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any

from live.auth import COOKIE_NAME, Principal, TokenService
from live.errors import Unauthorized
from live.realtime.protocol import ConnectAuth, parse

ANONYMOUS_NAME = "Guest"


@dataclass(slots=True)
class Member:
    """One socket. ``principal`` is None for an anonymous watcher, who may watch but not chat or react."""

    sid: str
    principal: Principal | None
    display_name: str
    anon_id: str = field(default_factory=lambda: "anon_" + secrets.token_hex(8))
    show_id: str | None = None
    reaction_times: list[float] = field(default_factory=list)

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id if self.principal else None

    @property
    def visitor_id(self) -> str:
        """Counts unique viewers: the account, or this connection for an anonymous watcher."""
        return self.user_id or self.anon_id

    def signed_in(self) -> Principal:
        if self.principal is None:
            raise Unauthorized("anonymous watchers can watch; sign in to take part", code="sign_in_required")
        return self.principal


def authenticate(tokens: TokenService, environ: Mapping[str, Any], auth: Any, sid: str) -> Member:
    """The ``auth`` token first; else the pages' HttpOnly cookie (same-origin only); else anonymous."""
    data = parse(ConnectAuth, auth if isinstance(auth, dict) else {})
    token = data.token or _cookie_token(environ)
    if token:
        principal = tokens.verify(token)
        return Member(sid, principal, principal.display_name)
    return Member(sid, None, data.name or ANONYMOUS_NAME)


def own_origin(environ: Mapping[str, Any]) -> str:
    """The origin the client reached us at (a page of ours sends it as its Origin)."""
    return f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"


def _cookie_token(environ: Mapping[str, Any]) -> str | None:
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
    if origin is not None and origin != own_origin(environ):
        return None  # another site's page must not ride on our cookie (cross-site websocket hijacking)
    return morsel.value


class Members:
    """The sockets of this process by sid. Which room a socket is in is socket.io's manager's business (a ban
    in another process takes a socket out of a room through it)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Member] = {}

    def add(self, member: Member) -> None:
        self._by_sid[member.sid] = member

    def get(self, sid: str) -> Member:
        member = self._by_sid.get(sid)
        if member is None:
            raise Unauthorized("this connection is not signed in to the room", code="not_connected")
        return member

    def remove(self, sid: str) -> Member | None:
        return self._by_sid.pop(sid, None)
