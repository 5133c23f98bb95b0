"""Fixtures for the media tests: a live show on the real app, an HTTP session for WHIP/WHEP clients, and
publishers as real aiortc peers, in this process or in their own (so this process never encodes)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bench import peers
from live.keys import broadcast_changed_key, media_key
from live.signals import BroadcastState
from streams.registry import MediaRegistry
from tests.helpers import Actor, Api

ROOT = Path(__file__).resolve().parents[2]


async def eventually(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> None:
    """Wait until ``check()`` is true (media takes a moment to connect)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class LiveShow:
    owner: Actor
    host: Actor
    id: str


@pytest.fixture
async def live_show(api: Api) -> LiveShow:
    owner = await api.merchant()
    host = await api.host(owner)
    show = await api.show(owner, host)
    await api.call("POST", f"/api/shows/{show['id']}/start", host, expect=200)
    return LiveShow(owner, host, show["id"])


@pytest.fixture
def base_url(client: TestClient) -> str:
    return str(client.make_url("")).rstrip("/")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


@pytest.fixture
def media(client: TestClient) -> MediaRegistry:
    return client.app[media_key]


@pytest.fixture
def broadcasts(client: TestClient) -> list[BroadcastState]:
    """Every on/off-air announcement the media side makes."""
    seen: list[BroadcastState] = []

    async def record(state: BroadcastState) -> None:
        seen.append(state)

    client.app[broadcast_changed_key].subscribe(record)
    return seen


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    """Peers (Publisher or Viewer) to close at the end of the test, whatever happens."""
    peers_to_close: list[Any] = []
    yield peers_to_close
    for peer in peers_to_close:
        if isinstance(peer, peers.Viewer):
            await peer.close()
        else:
            await peer.pc.close()


@dataclass
class PublisherProcess:
    """A publisher in its own process, reporting frames sent and keyframe requests received."""

    process: asyncio.subprocess.Process
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return max((line["frames"] for line in self.lines if "frames" in line), default=0)

    @property
    def location(self) -> str:
        return next(line["location"] for line in self.lines if line.get("event") == "published")

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(json.loads(line))


@pytest.fixture
def publisher_process(base_url: str) -> Callable[[LiveShow], Awaitable[Any]]:
    @asynccontextmanager
    async def start(show: LiveShow) -> AsyncIterator[PublisherProcess]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.peers", "publish", base_url, show.id, show.host.token,
            stdout=asyncio.subprocess.PIPE, cwd=ROOT)
        publisher = PublisherProcess(process)
        reader = asyncio.ensure_future(publisher.read())
        try:
            await eventually(lambda: any(line.get("event") == "published" for line in publisher.lines), 30,
                             "the publisher process to publish")
            yield publisher
        finally:
            process.terminate()
            await process.wait()
            reader.cancel()

    return start  # type: ignore[return-value]
