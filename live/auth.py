"""Who is asking: signed expiring bearer tokens, password hashing, the principal and permission checks.

A token carries the user's id, role, merchant and display name, so the hot paths (a tap, a socket event)
check it without a database round trip. Pages may carry the same token in an HttpOnly cookie.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from live.config import Settings
from live.errors import Forbidden, Unauthorized
from live.secret_keys import key_id

Role = Literal["merchant", "host", "viewer", "affiliate"]
COOKIE_NAME = "live_token"
_ALGORITHM = "HS256"
_hasher = PasswordHasher()
# A hash of a random password, verified when the email is unknown so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the token describes them."""

    user_id: str
    role: Role
    merchant_id: str | None
    display_name: str
    has_payment_method: bool = False

    def require_role(self, *roles: Role) -> Principal:
        if self.role not in roles:
            raise Forbidden(f"this needs a {' or '.join(roles)} account")
        return self


class TokenService:
    """Issues and verifies HS256 JWTs. Verified tokens are remembered until they expire: a viewer taps many
    times with the same token, and decoding and checking an HMAC cost as much as the rest of a tap.

    A token names its key in the ``kid`` header: ``secret`` signs, ``previous`` keys still verify what they
    signed, so a key is rotated without signing everyone out (drop it from ``previous`` a token lifetime later).
    """

    CACHE_SIZE = 100_000

    def __init__(self, secret: str, ttl_seconds: int, previous: tuple[str, ...] | list[str] = ()):
        self._secret = secret
        self._kid = key_id(secret)
        self._keys = {key_id(key): key for key in (*previous, secret)}
        self.ttl_seconds = ttl_seconds
        self._verified: dict[str, tuple[Principal, float]] = {}

    def issue(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {
            "sub": principal.user_id,
            "role": principal.role,
            "mid": principal.merchant_id,
            "name": principal.display_name,
            "pm": principal.has_payment_method,
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM, headers={"kid": self._kid})

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires = cached
            if time.time() < expires:
                return principal
            del self._verified[token]
        principal, expires = self._decode(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _verified_claims(self, token: str) -> dict[str, Any]:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is None:  # a token from before key ids: any of our keys may have signed it
            candidates = list(self._keys.values())
        else:
            candidates = [self._keys[kid]] if isinstance(kid, str) and kid in self._keys else []
        for key in candidates:
            try:
                return jwt.decode(token, key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]})
            except jwt.InvalidSignatureError:
                continue
        raise jwt.InvalidSignatureError("signed with a key this server does not know")

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = self._verified_claims(token)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token", code="invalid_token") from exc
        role = claims.get("role")
        if role not in ("merchant", "host", "viewer", "affiliate"):
            raise Unauthorized("invalid token", code="invalid_token")
        principal = Principal(
            user_id=str(claims["sub"]),
            role=role,
            merchant_id=claims.get("mid"),
            display_name=str(claims.get("name", "")),
            has_payment_method=bool(claims.get("pm", False)),
        )
        return principal, float(claims["exp"])


def token_from_request(request: web.Request, settings: Settings) -> str | None:
    header = request.headers.get("Authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization header must be 'Bearer <token>'", code="invalid_token")
        return value.strip()
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        _check_same_origin(request, settings)
        return cookie
    return None


def _check_same_origin(request: web.Request, settings: Settings) -> None:
    """Cookie-authenticated writes must come from our own pages (CSRF defence on top of SameSite): the origin
    we were reached at directly, or ``LIVE_PUBLIC_URL``'s (behind a proxy that terminates TLS)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("Origin")
    if origin is None or origin == f"{request.scheme}://{request.host}":
        return
    if origin != settings.public_origin:  # parsed only here, off the path of every other request
        raise Forbidden("cross-site request with a cookie", code="cross_site")


def optional_principal(tokens: TokenService, request: web.Request, settings: Settings) -> Principal | None:
    """The caller's principal, if it sent a token (``settings``: LIVE_PUBLIC_URL's origin is also our own)."""
    token = token_from_request(request, settings)
    return tokens.verify(token) if token else None


async def hash_password(password: str) -> str:
    """Argon2id in a thread: hashing takes tens of milliseconds and must not stall the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
