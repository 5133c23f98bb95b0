"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
``<id>.<timestamp>.<body>``, sent as ``webhook-signature: v1,<base64>``; stale timestamps are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from live.errors import DomainError, Unauthorized

TOLERANCE_SECONDS = 300


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, webhook_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, webhook_id, stamp, body),
        "Content-Type": "application/json",
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str:
    """Returns the webhook id; 400 when headers are missing or stale, 401 when no signature matches. Header
    names are case-insensitive (HTTP says so; a plain dict is folded to lower case here)."""
    headers = {name.lower(): value for name, value in headers.items()}
    webhook_id = headers.get("webhook-id", "")
    stamp_text = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not webhook_id or not stamp_text or not signatures:
        raise DomainError("webhook-id, webhook-timestamp and webhook-signature are required",
                          code="invalid_webhook")
    try:
        stamp = int(stamp_text)
    except ValueError as exc:
        raise DomainError("webhook-timestamp must be an integer", code="invalid_webhook") from exc
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        raise DomainError("webhook timestamp is too old or in the future", code="stale_webhook")
    expected = sign(secret, webhook_id, stamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures.split()):
        raise Unauthorized("webhook signature does not match", code="bad_signature")
    return webhook_id
