"""Logging set-up: one line per record, structured extras appended as ``key=value``.

Secrets never reach the logs: the access log omits headers, and extras named like secrets are masked.
"""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# aiohttp's access log repeats its whole line as extras; the line itself is enough.
_ACCESS_EXTRAS = {"remote_address", "first_request_line", "response_status", "response_size", "request_time_frac",
                  "request_start_time", "request_time", "request_time_micro", "process_id", "request_header",
                  "response_header", "environ"}
_SECRET_WORDS = ("password", "token", "secret", "authorization", "cookie")
ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs'


class AccessLogger(AbstractAccessLogger):
    """The line of ``ACCESS_LOG_FORMAT`` without aiohttp's per-request work (its format's methods called in
    turn, and a dict of extras that StructuredFormatter drops anyway): the record keeps its arguments and is
    formatted only if a handler writes it, and nothing is done at all below INFO.
    Used by ``live serve`` (``access_log_class=AccessLogger``)."""

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        major, minor = request.version
        self.logger.info('%s "%s %s HTTP/%d.%d" %d %d %.6fs', request.remote or "-", request.method,
                         request.path_qs, major, minor, response.status, response.body_length, time)


class StructuredFormatter(logging.Formatter):
    """``time level logger message key=value ...`` with secret-looking keys masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = []
        for key, value in vars(record).items():
            if key in _STANDARD or key in _ACCESS_EXTRAS or key.startswith("_"):
                continue
            shown = "***" if any(word in key.lower() for word in _SECRET_WORDS) else value
            extras.append(f"{key}={shown}")
        return f"{line} {' '.join(extras)}" if extras else line


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(StructuredFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiortc").setLevel(logging.WARNING)
    logging.getLogger("aioice").setLevel(logging.WARNING)
    logging.getLogger("engineio").setLevel(logging.WARNING)
    logging.getLogger("socketio").setLevel(logging.WARNING)
