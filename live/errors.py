"""Domain errors and the middleware that turns every failure into ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from db.outage import is_outage

log = logging.getLogger("live.errors")
RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    """An expected failure with a stable machine-readable ``code`` and an HTTP status."""

    status = 400
    code = "bad_request"
    headers: Mapping[str, str] = {}  # e.g. Retry-After

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Invalid(DomainError):
    status, code = 422, "validation_error"


class Unavailable(DomainError):
    """Trouble on our side (or a dependency's) that passes: 503 with Retry-After."""

    status, code = 503, "unavailable"
    retry_after_seconds = RETRY_AFTER_SECONDS

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers = {"Retry-After": str(self.retry_after_seconds)}


class RetryLater(Unavailable):
    """Our side cannot answer safely right now (Redis down, restarting or being rebuilt): retry in a second."""

    code = "retry"
    retry_after_seconds = 1


def database_unavailable() -> Unavailable:
    return Unavailable("the database is unavailable; try again shortly", code="database_unavailable")


class RateLimited(DomainError):
    """Too many of something: ``429 rate_limited`` with ``Retry-After`` (and ``retry_after_ms`` for sockets)."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: float):
        seconds = max(1, math.ceil(retry_after))
        super().__init__(message, retry_after_ms=seconds * 1000)
        self.headers = {"Retry-After": str(seconds)}


def error_response(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status)


def validation_error(exc: ValidationError, where: str = "body") -> Invalid:
    """A pydantic failure as a 422 naming the first offending field, with every problem in ``details``."""
    details = [
        {"field": ".".join(str(p) for p in err["loc"]) or where, "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
    first = details[0] if details else {"field": where, "problem": "invalid"}
    return Invalid(f"{where} field '{first['field']}': {first['problem']}", details=details)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _unavailable(exc: Unavailable) -> web.Response:
    return web.json_response(exc.body(), status=exc.status, headers=exc.headers)


def retry_after(exc: DomainError) -> str:
    """Whole seconds, rounded up, from the error's ``retry_after_ms`` when it has one."""
    wait_ms = exc.extra.get("retry_after_ms")
    return str(max(1, math.ceil(wait_ms / 1000))) if isinstance(wait_ms, int | float) else "1"


@web.middleware
async def error_middleware(  # noqa: PLR0911 - one answer per kind of failure, side by side
        request: web.Request, handler: Handler) -> web.StreamResponse:
    """Shape every error the same way; an unexpected exception is logged and answered 500 without details."""
    try:
        return await handler(request)
    except DomainError as exc:
        response = web.json_response(exc.body(), status=exc.status, headers=exc.headers)
        if exc.status in (429, 503) and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = retry_after(exc)
        return response
    except ValidationError as exc:
        err = validation_error(exc)
        return web.json_response(err.body(), status=err.status)
    except web.HTTPException as exc:
        if exc.status < HTTPStatus.BAD_REQUEST or exc.content_type == "application/json":
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        response = error_response(exc.status, code, exc.reason)
        for header in ("Allow", "Location", "WWW-Authenticate"):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        return response
    except json.JSONDecodeError as exc:
        return error_response(400, "invalid_json", f"request body is not valid JSON: {exc.msg}")
    except (RedisConnectionError, RedisTimeoutError) as exc:
        log.warning("redis unavailable: %s", exc, extra={"path": request.path})
        response = error_response(503, RetryLater.code, "temporarily unavailable, try again")
        response.headers["Retry-After"] = str(RetryLater.retry_after_seconds)
        return response
    except Exception as exc:
        if is_outage(exc):  # the database is down, restarting or unreachable: it passes
            log.warning("database unavailable", extra={"path": request.path, "error": repr(exc)})
            return _unavailable(database_unavailable())
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return error_response(500, "internal", "internal server error")
