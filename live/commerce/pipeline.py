"""A minimal pipelined Redis connection for the hot path's script calls (the last hop before the Lua).

redis-py spends tens of microseconds of Python per command in a pipeline (packing, one awaited parse per
reply, locks and retry wrappers). Here every command asked for during one event-loop turn, whatever the
script, goes out as one ``transport.write`` (``call``), packed by hiredis; replies are parsed by hiredis in
``data_received``, resolving each caller's future as its reply arrives: no coroutine per reply. It carries
only EVALSHA/SCRIPT LOAD traffic; everything else uses redis-py. Replies are matched to requests by order,
which Redis guarantees on one connection. Atomicity is unchanged: every script call is its own EVALSHA.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Command = Sequence[str | int | bytes]


def encode(command: Command) -> bytes:
    """One command in RESP (an array of bulk strings)."""
    # hiredis's stub types a one-element tuple; it packs any length
    return hiredis.pack_command(tuple(command))  # type: ignore[arg-type]


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


class TurnBatching:
    """``call(command)`` for a connection that can ``open()``, tell whether it is ``ready`` and ``submit`` a
    batch: every call of one event-loop turn, of every script, is written together (one syscall, one batch
    timeout). Shared by the single-server connection below and the cluster's (cluster_pipeline.py)."""

    timeout: float

    def __init__(self) -> None:
        self._pending: list[tuple[Command, asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ready(self) -> Any:
        raise NotImplementedError

    async def open(self) -> Any:
        raise NotImplementedError

    def submit(self, protocol: Any, commands: Sequence[Command], futures: Sequence[asyncio.Future[Any]]) -> None:
        raise NotImplementedError

    def call(self, command: Command) -> asyncio.Future[Any]:
        """The command's reply (or error); every call of this loop turn is written together."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((command, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        protocol = self.ready
        if protocol is not None:
            self.submit(protocol, [c for c, _ in batch], [f for _, f in batch])
            return
        self.spawn(self._open_and_send(batch))

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task this connection keeps a reference to, so it is not collected mid-flight."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open_and_send(self, batch: list[tuple[Command, asyncio.Future[Any]]]) -> None:
        try:  # shielded: a slow first connection (the recovery check) goes on for the next callers
            protocol = await asyncio.wait_for(asyncio.shield(self.open()), self.timeout)
        except Exception as exc:  # Redis unreachable: every caller in the batch learns it (a 503, not a 500)
            failure: Exception = exc
            if isinstance(exc, TimeoutError):
                failure = RedisTimeoutError("Redis connection not ready in time")
            elif isinstance(exc, OSError):
                failure = RedisConnectionError(f"cannot reach Redis: {exc}")
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            return
        self.submit(protocol, [c for c, _ in batch], [f for _, f in batch])


class PipelinedConnection(TurnBatching):
    """One connection, opened lazily from a redis://, rediss:// or unix:// URL and reopened after a failure.

    Every batch is bounded by ``timeout``: past it its callers get a TimeoutError and the stalled connection
    is dropped. A connection whose AUTH or SELECT failed is closed, never used. After a failed open the next
    attempts back off (up to ``MAX_BACKOFF``), answering ConnectionError at once meanwhile. ``on_connect``
    runs on every new connection before any command of a caller is written (the recovery check).
    """

    MAX_BACKOFF = 2.0

    def __init__(self, url: str, timeout: float = 5.0, on_connect: Callable[[], Awaitable[None]] | None = None):
        self.url = url
        self.timeout = timeout
        self.on_connect = on_connect
        self._protocol: _Protocol | None = None
        self._opening: asyncio.Lock | None = None
        self._failures = 0
        self._retry_at = 0.0
        super().__init__()

    async def open(self) -> _Protocol:
        if self._protocol is not None and self._protocol.lost is None:
            return self._protocol
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._protocol is not None and self._protocol.lost is None:
                return self._protocol
            loop = asyncio.get_running_loop()
            if loop.time() < self._retry_at:
                raise RedisConnectionError("Redis unreachable; reconnecting shortly")
            try:
                protocol = await asyncio.wait_for(self._connect(), self.timeout)
            except (OSError, TimeoutError, RedisError) as exc:
                raise self._failed(f"cannot connect to Redis: {type(exc).__name__}: {exc}") from exc
            if self.on_connect is not None:
                try:
                    await self.on_connect()
                except Exception as exc:
                    assert protocol.transport is not None
                    protocol.transport.abort()
                    raise self._failed(f"Redis not ready: {type(exc).__name__}: {exc}") from exc
            self._failures = 0
            self._protocol = protocol
            return protocol

    def _failed(self, message: str) -> RedisConnectionError:
        """Count a failed open and schedule the next attempt (exponential backoff)."""
        self._failures += 1
        self._retry_at = asyncio.get_running_loop().time() + min(0.05 * 2 ** self._failures, self.MAX_BACKOFF)
        return RedisConnectionError(message)

    async def _connect(self) -> _Protocol:
        """Connect and run AUTH/SELECT; a connection whose setup failed is closed before the error rises."""
        loop = asyncio.get_running_loop()
        parsed = urlparse(self.url)
        query = dict(p.split("=", 1) for p in parsed.query.split("&") if "=" in p)
        if parsed.scheme == "unix":
            _, protocol = await loop.create_unix_connection(_Protocol, parsed.path)
        else:
            tls = _tls_context(query) if parsed.scheme == "rediss" else None
            _, protocol = await loop.create_connection(
                _Protocol, parsed.hostname or "localhost", parsed.port or 6379, ssl=tls,
                server_hostname=(parsed.hostname or "localhost") if tls else None)
        setup: list[Command] = []
        if parsed.password:
            user = unquote(parsed.username) if parsed.username else None
            setup.append(["AUTH", user, unquote(parsed.password)] if user else ["AUTH", unquote(parsed.password)])
        db = parsed.path.strip("/") if parsed.scheme != "unix" else query.get("db", "")
        if db and db != "0":
            setup.append(["SELECT", db])
        try:
            if setup:
                await asyncio.gather(*self._send(protocol, setup))
        except BaseException:
            if protocol.transport is not None:
                protocol.transport.abort()
            raise
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

    def submit(self, protocol: _Protocol, commands: Sequence[Command], futures: Sequence[asyncio.Future[Any]]) -> None:
        """Write the commands at once; each future gets its reply (or the error as an exception)."""
        protocol.waiting.extend(futures)
        assert protocol.transport is not None
        protocol.transport.write(b"".join([encode(c) for c in commands]))
        asyncio.get_running_loop().call_later(self.timeout, _expire, protocol, futures)

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None


def _expire(protocol: _Protocol, futures: Sequence[asyncio.Future[Any]]) -> None:
    """A batch still unanswered after the timeout: its callers give up and the stalled connection goes (the
    scripts may still run in Redis; the buyer's retry with the same Idempotency-Key finds the order)."""
    late = [f for f in futures if not f.done()]
    if not late:
        return
    for future in late:
        future.set_exception(RedisTimeoutError("Redis did not answer in time"))
    if protocol.transport is not None:
        protocol.transport.abort()


def _tls_context(query: dict[str, str]) -> ssl.SSLContext:
    """Verified TLS by default; ``?ssl_cert_reqs=none`` (redis-py's spelling) turns verification off."""
    context = ssl.create_default_context(cafile=unquote(query["ssl_ca_certs"]) if "ssl_ca_certs" in query else None)
    if query.get("ssl_cert_reqs", "").lower() == "none":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
