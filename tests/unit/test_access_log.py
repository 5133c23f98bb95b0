"""The lean access logger writes the line aiohttp's own logger writes for ACCESS_LOG_FORMAT, and nothing
below INFO."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from aiohttp.web_log import AccessLogger as AiohttpAccessLogger

from live.logs import ACCESS_LOG_FORMAT, AccessLogger, StructuredFormatter


@pytest.fixture
def access_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(StructuredFormatter())
    logger = logging.getLogger("test.access")
    logger.handlers[:], logger.propagate = [handler], False
    yield logger, stream
    logger.handlers.clear()


def test_same_line_as_aiohttp(access_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = access_log
    logger.setLevel(logging.INFO)
    request = make_mocked_request("POST", "/api/shows/shw_1/orders?ref=abc")
    response = web.Response(status=201)
    for cls in (AiohttpAccessLogger, AccessLogger):
        cls(logger, ACCESS_LOG_FORMAT).log(request, response, 0.001234)
    theirs, ours = (line.split(" ", 2)[2] for line in stream.getvalue().splitlines())  # past the time stamp
    assert ours == theirs
    assert '"POST /api/shows/shw_1/orders?ref=abc HTTP/1.1" 201' in ours


def test_silent_below_info(access_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, _stream = access_log
    logger.setLevel(logging.WARNING)
    assert not AccessLogger(logger, ACCESS_LOG_FORMAT).enabled
    logger.setLevel(logging.INFO)
    assert AccessLogger(logger, ACCESS_LOG_FORMAT).enabled
