"""WebRTC through ``live serve --workers 2``: a session lives in the worker that took it, so each worker is a
media node at a port of its own. The host publishes through the shared port (a followed 307), viewers land
on both workers (capacity 1 sends the second to the other one, which pulls the show from the first), every
viewer decodes the host's frames, and each session's Location reaches the worker that holds it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis
from yarl import URL

from bench import peers
from tests.nodes.test_media_nodes import start_publisher, watch_through_placement
from tests.processes import ServerProcess, serving, started_show
from tests.services import Services
from tests.streams.conftest import eventually


@pytest.fixture
def two_workers(services: Services, tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    with serving(services, tmp_path / "data", "media-workers-", workers=2, start_timeout=60,
                 LIVE_MEDIA_CAPACITY="1") as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


async def test_host_and_viewers_on_two_workers(two_workers: tuple[ServerProcess, str], http: aiohttp.ClientSession,
                                               services: Services) -> None:
    server, prefix = two_workers
    show, host = await started_show(server.url)

    redis = Redis.from_url(services.redis_url, decode_responses=True)
    publisher, reader = await start_publisher(server.url, show["id"], host.token)
    viewers: list[peers.Viewer] = []
    try:
        nodes = {json.loads(v)["url"] for v in (await redis.hgetall(f"{prefix}live:media_nodes")).values()}
        assert len(nodes) == 2 and server.url not in nodes, "each worker is a media node at its own port"
        assert str(URL(publisher.location).origin()) in nodes, "the host's session is at its worker's own URL"

        for _ in range(2):
            viewers.append(await watch_through_placement(http, server.url, show["id"]))
        assert {str(URL(v.location).origin()) for v in viewers} == nodes, "one viewer on each worker"
        await eventually(lambda: all(len(v.numbers) > 30 for v in viewers), 30, "every viewer to play")
        for viewer in viewers:
            steps = [b - a for a, b in zip(viewer.numbers, viewer.numbers[1:], strict=False)]
            assert sum(1 for s in steps if s in (1, 2, 3)) >= 0.8 * len(steps), "the host's frames, in order"
        for viewer in viewers:
            await viewer.close(http)  # DELETE at the worker that holds the session
        viewers.clear()
    finally:
        for viewer in viewers:
            await viewer.pc.close()
        publisher.process.terminate()
        await publisher.process.wait()
        reader.cancel()
        await redis.aclose()
