"""The one error type of the media library: a stable ``code`` and the HTTP status a caller should answer
with. streams/ stands alone, so the web app translates these into its own error shape (live/api/media.py)."""

from __future__ import annotations


class MediaError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class SessionNotFound(MediaError):
    status, code = 404, "not_found"


class MediaConflict(MediaError):
    status, code = 409, "conflict"
