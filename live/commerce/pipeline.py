"""A minimal pipelined Redis connection for the hot path's script calls.

redis-py spends tens of microseconds of Python per command in a pipeline (packing, one awaited parse per
reply, locks and retry wrappers). This connection writes a whole batch of EVALSHAs with one
``transport.write`` and parses replies with hiredis in ``data_received``, resolving each caller's future as
its reply arrives: no coroutine per reply. It carries only EVALSHA/SCRIPT LOAD traffic; everything else uses
redis-py. Replies are matched to requests by order, which Redis guarantees on one connection.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

Command = Sequence[str | int | bytes]


def encode(command: Command) -> bytes:
    """One command in RESP (an array of bulk strings)."""
    parts = [b"*%d\r\n" % len(command)]
    for arg in command:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _error(reply: hiredis.ReplyError) -> Exception:
    text = str(reply)
    return NoScriptError(text) if text.startswith("NOSCRIPT") else ResponseError(text)


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader(encoding="utf-8", replyError=hiredis.ReplyError)
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while True:
            reply = self.reader.gets()
            if reply is False:
                return
            future = self.waiting.popleft()
            if future.done():
                continue
            if isinstance(reply, hiredis.ReplyError):
                future.set_exception(_error(reply))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = RedisConnectionError(f"connection to Redis lost: {exc}")
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(self.lost)


class PipelinedConnection:
    """One connection, opened lazily from a redis:// or unix:// URL and reopened after a failure."""

    def __init__(self, url: str):
        self.url = url
        self._protocol: _Protocol | None = None
        self._opening: asyncio.Lock | None = None

    async def open(self) -> _Protocol:
        if self._protocol is not None and self._protocol.lost is None:
            return self._protocol
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._protocol is not None and self._protocol.lost is None:
                return self._protocol
            loop = asyncio.get_running_loop()
            parsed = urlparse(self.url)
            if parsed.scheme == "unix":
                _, protocol = await loop.create_unix_connection(_Protocol, parsed.path)
            else:
                _, protocol = await loop.create_connection(_Protocol, parsed.hostname or "localhost",
                                                           parsed.port or 6379)
            setup: list[Command] = []
            if parsed.password:
                user = unquote(parsed.username) if parsed.username else None
                setup.append(["AUTH", user, unquote(parsed.password)] if user else ["AUTH", unquote(parsed.password)])
            db = parsed.path.strip("/") if parsed.scheme != "unix" else dict(
                p.split("=", 1) for p in parsed.query.split("&") if "=" in p).get("db", "")
            if db and db != "0":
                setup.append(["SELECT", db])
            self._protocol = protocol
            if setup:
                await asyncio.gather(*self._send(protocol, setup))
            return protocol

    def _send(self, protocol: _Protocol, commands: Sequence[Command]) -> list[asyncio.Future[Any]]:
        futures = [asyncio.get_running_loop().create_future() for _ in commands]
        self.submit(protocol, commands, futures)
        return futures

    @property
    def ready(self) -> _Protocol | None:
        """The open connection, or None if it must be (re)opened first."""
        protocol = self._protocol
        return protocol if protocol is not None and protocol.lost is None else None

    @staticmethod
    def submit(protocol: _Protocol, commands: Sequence[Command], futures: Sequence[asyncio.Future[Any]]) -> None:
        """Write the commands at once; each future gets its reply (or the error as an exception)."""
        protocol.waiting.extend(futures)
        assert protocol.transport is not None
        protocol.transport.write(b"".join(encode(c) for c in commands))

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None
