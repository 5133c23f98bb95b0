"""The one error type of the media library: a stable ``code`` and the HTTP status a caller should answer
with. streams/ stands alone, so the web app translates these into its own error shape (live/api/media.py)."""

from __future__ import annotations

import math


class MediaError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.retry_after_seconds = None if retry_after is None else max(1, math.ceil(retry_after))


class MediaRateLimited(MediaError):
    """Too many of something from one client or session: answered 429 with Retry-After."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retry_after=retry_after)


class SessionNotFound(MediaError):
    status, code = 404, "not_found"


class MediaConflict(MediaError):
    status, code = 409, "conflict"
