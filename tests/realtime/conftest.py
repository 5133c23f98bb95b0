"""Real python-socketio clients against the real app served on a local port (the ``client`` fixture's)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestClient

from tests.helpers import Actor


class Socket:
    """One socket.io client that records every event it receives."""

    def __init__(self, url: str):
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: defaultdict[str, list[Any]] = defaultdict(list)
        self.arrived = asyncio.Event()
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events[event].append(data)
        self.arrived.set()

    async def connect(self, actor: Actor | None = None, name: str | None = None, auth: Any = None,
                      transports: list[str] | None = None) -> Socket:
        if auth is None:
            auth = {"token": actor.token} if actor else ({"name": name} if name else None)
        await self.sio.connect(self.url, auth=auth, transports=transports or ["websocket"], wait_timeout=5)
        return self

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, timeout=5)

    async def join(self, show_id: str) -> dict[str, Any]:
        snapshot = await self.call("join", {"show_id": show_id})
        assert "error" not in snapshot, snapshot
        return dict(snapshot)

    async def wait_for(self, event: str, match: Callable[[Any], bool] = lambda _: True,
                       timeout: float = 5.0) -> Any:
        """The first ``event`` payload (already received or arriving within ``timeout``) that matches."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for payload in self.events[event]:
                if match(payload):
                    return payload
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no matching {event!r} within {timeout}s; got {dict(self.events)}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                pass

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


SocketFactory = Callable[..., Any]


@pytest.fixture
async def sockets(client: TestClient) -> AsyncIterator[SocketFactory]:
    """``await sockets(actor)`` -> a connected ``Socket`` (``sockets(name="Ann")`` for an anonymous one)."""
    url = str(client.make_url("/"))
    opened: list[Socket] = []

    async def open_socket(actor: Actor | None = None, **kw: Any) -> Socket:
        socket = Socket(url)
        opened.append(socket)
        return await socket.connect(actor, **kw)

    yield open_socket
    await asyncio.gather(*(s.close() for s in opened))
