"""One web process and three media processes sharing a Redis and a database, all real ``live serve``
processes: the host publishes through the web node (a followed 307), viewers spread over the origin and two
edges that pull from it, every viewer decodes the host's numbered frames, no node codes a frame, a viewer's
keyframe request on an edge reaches the host; an edge killed with SIGKILL loses its viewers to placement,
and they play again within seconds while the show's other viewers never stall; when the origin is killed,
the host's re-publish lands on the node still alive; the show's end reaches every node."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from yarl import URL

from bench import peers
from bench.common import free_port
from tests.conftest import delete_prefixed
from tests.helpers import Api
from tests.processes import RemoteClient, ServerProcess, new_prefix, server_env
from tests.services import Services
from tests.streams.conftest import PublisherProcess, eventually

ROOT = Path(__file__).resolve().parents[2]
CAPACITY = 2  # viewers each media node takes before placement sends the next one elsewhere


@dataclass
class Nodes:
    web: ServerProcess
    media: list[ServerProcess]
    prefix: str
    probe: Path

    def by_url(self, url: str) -> ServerProcess:
        origin = str(URL(url).origin())
        return next(node for node in [self.web, *self.media] if node.url == origin)


@pytest.fixture
def nodes(services: Services, tmp_path: Path) -> Iterator[Nodes]:
    prefix, secret = new_prefix(), "nodes-secret-" + secrets.token_hex(16)
    probe = tmp_path / "codecs.txt"
    web = ServerProcess(server_env(services, tmp_path / "web", prefix, secret, LIVE_ROLE="web"), free_port())
    media = [ServerProcess(server_env(services, tmp_path / f"media{i}", prefix, secret, LIVE_ROLE="media",
                                      LIVE_RUN_WORKERS="false", LIVE_MEDIA_CAPACITY=str(CAPACITY),
                                      PROBE_FILE=str(probe)),
                           free_port(), command=["-m", "tests.nodes.probed_node", "serve"]) for i in range(3)]
    try:
        for process in (web, *media):
            process.start(60)
        yield Nodes(web, media, prefix, probe)
    finally:
        for process in (web, *media):
            process.stop()
        asyncio.run(delete_prefixed(services.redis_url, prefix))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


async def start_publisher(base: str, show_id: str, token: str) -> tuple[PublisherProcess, asyncio.Future[Any]]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.peers", "publish", base, show_id,
                                                   token, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    publisher = PublisherProcess(process)
    reader = asyncio.ensure_future(publisher.read())
    await eventually(lambda: any(line.get("event") == "published" for line in publisher.lines), 30, "publishing")
    return publisher, reader


async def watch_through_placement(http: aiohttp.ClientSession, web: str, show_id: str,
                                  timeout: float = 10.0) -> peers.Viewer:
    """What the watch page does: POST the WHEP offer to the site and follow the redirect; retry while the
    placement still names a node that just died (it drops out within a few heartbeats)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await peers.watch(http, web, show_id)
        except (RuntimeError, aiohttp.ClientError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def gone(redis: Redis, prefix: str, node_id: str) -> bool:
    """The node's heartbeat expired (readers sweep it: this reads like placement does)."""
    entries = [json.loads(v) for v in (await redis.hgetall(f"{prefix}live:media_nodes")).values()]
    return all(e["id"] != node_id or e["expires_ms"] < time.time() * 1000 for e in entries)


async def relays(redis: Redis, prefix: str, url: str, show_id: str, expected: bool) -> bool:
    """Whether the node at ``url`` says in its heartbeat that it relays the show (is ``expected``)."""
    entries = [json.loads(v) for v in (await redis.hgetall(f"{prefix}live:media_nodes")).values()]
    node = next(e for e in entries if e["url"] == url)
    return (show_id in node["relays"]) is expected


async def eventually_async(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_origin_and_edges_serve_one_show(nodes: Nodes, http: aiohttp.ClientSession,
                                               services: Services) -> None:
    web = nodes.web.url
    api = Api(RemoteClient(aiohttp.ClientSession(base_url=web)))  # type: ignore[arg-type]
    owner = await api.merchant()
    host = await api.host(owner)
    show = await api.show(owner, host)
    await api.call("POST", f"/api/shows/{show['id']}/start", host, expect=200)

    publisher, reader = await start_publisher(web, show["id"], host.token)
    viewers: list[peers.Viewer] = []
    redis = Redis.from_url(services.redis_url, decode_responses=True)
    try:
        origin_id = await redis.get(f"{nodes.prefix}{{show:{show['id']}}}:media_origin")
        assert isinstance(origin_id, str), "the show has a media origin"
        directory = {k: json.loads(v) for k, v in (await redis.hgetall(f"{nodes.prefix}live:media_nodes")).items()}
        assert set(directory) and origin_id in directory, "the origin is a live media node"
        origin = nodes.by_url(directory[origin_id]["url"])
        assert nodes.by_url(publisher.location) is origin, "the host's session is on the origin (followed 307)"
        assert publisher.location.startswith(origin.url + "/api/"), "Location is the node's absolute URL"

        for _ in range(6):
            viewers.append(await watch_through_placement(http, web, show["id"]))
        placed = [nodes.by_url(v.location) for v in viewers]
        assert placed[:CAPACITY] == [origin] * CAPACITY, "the origin first, while it has room"
        edges = [node for node in nodes.media if node is not origin]
        assert sorted(placed.count(edge) for edge in edges) == [CAPACITY, CAPACITY], "then both edges"
        assert nodes.web not in placed

        await eventually(lambda: all(len(v.numbers) > 30 for v in viewers), 30, "every viewer to play")
        for viewer in viewers:
            steps = [b - a for a, b in zip(viewer.numbers, viewer.numbers[1:], strict=False)]
            assert sum(1 for s in steps if s in (1, 2, 3)) >= 0.8 * len(steps), "the host's frames, in order"
        assert not nodes.probe.exists(), f"a node coded frames: {nodes.probe.read_text()}"

        # A viewer's keyframe request on an edge goes up the chain to the host.
        edge_viewer = next(v for v, node in zip(viewers, placed, strict=True) if node is not origin)
        await asyncio.sleep(1.5)  # joins asked for keyframes; let those settle
        before = publisher.lines[-1]["keyframe_requests"]
        await peers.ask_keyframe(edge_viewer)
        await eventually(lambda: publisher.lines[-1].get("keyframe_requests", 0) > before, 5,
                         "the edge viewer's PLI to reach the host")

        # The pull stops when an edge's last viewer of the show leaves, and starts again with the next one.
        quiet = edges[1]
        leaving = [v for v, node in zip(viewers, placed, strict=True) if node is quiet]
        for viewer in leaving:
            await viewer.close(http)  # DELETE at the node that holds the session
            viewers.remove(viewer)
        await eventually_async(lambda: relays(redis, nodes.prefix, quiet.url, show["id"], False), 5,
                               "the edge to stop pulling")
        for _ in leaving:
            viewers.append(await watch_through_placement(http, web, show["id"]))
        assert [nodes.by_url(v.location) for v in viewers[-len(leaving):]] == [quiet] * len(leaving)
        await eventually_async(lambda: relays(redis, nodes.prefix, quiet.url, show["id"], True), 5,
                               "the edge to pull again")
        await eventually(lambda: all(len(v.numbers) > 10 for v in viewers[-len(leaving):]), 15, "them to play")
        placed = [nodes.by_url(v.location) for v in viewers]

        # kill -9 of one edge: its viewers come back through the web node; the others never stall.
        dead = edges[0]
        orphans = [v for v, node in zip(viewers, placed, strict=True) if node is dead]
        others = [v for v in viewers if v not in orphans]
        dead.kill()
        killed_at = time.monotonic()
        for orphan in orphans:
            await orphan.close()
        back = [await watch_through_placement(http, web, show["id"]) for _ in orphans]
        viewers.extend(back)
        assert all(nodes.by_url(v.location) is not dead for v in back)
        marks, playing_again_after = [len(v.numbers) for v in others], None
        while time.monotonic() - killed_at < 5:
            await asyncio.sleep(1.0)
            if playing_again_after is None and all(len(v.numbers) > 5 for v in back):
                playing_again_after = time.monotonic() - killed_at
            now = [len(v.numbers) for v in others]
            assert all(b > a for a, b in zip(marks, now, strict=True)), "a viewer of a live node stalled"
            marks = now
        assert playing_again_after is not None, "the dead edge's viewers play again within 5 s"

        # kill -9 of the origin: the studio's re-publish lands on the node still alive, which was an edge of
        # the show; its viewers keep their sessions and play the new publisher's frames.
        survivor = next(node for node in edges if node is not dead)
        origin.kill()
        publisher.process.terminate()
        await publisher.process.wait()
        await eventually_async(lambda: gone(redis, nodes.prefix, origin_id), 10, "the origin to drop out")
        publisher, reader = await start_publisher(web, show["id"], host.token)
        assert nodes.by_url(publisher.location) is survivor
        assert await redis.get(f"{nodes.prefix}{{show:{show['id']}}}:media_origin") != origin_id
        on_survivor = [v for v in [*others, *back] if nodes.by_url(v.location) is survivor]
        assert on_survivor, "the surviving node has viewers of the show"
        marks = [len(v.numbers) for v in on_survivor]
        await eventually(lambda: all(len(v.numbers) > m + 30 for v, m in zip(on_survivor, marks, strict=True)), 15,
                         "the survivor's viewers to play the new publisher")

        # The show ends through the web node: every media node hears it and hangs up the show's peers.
        await api.call("POST", f"/api/shows/{show['id']}/end", host, expect=200)
        await eventually(lambda: all(v.pc.connectionState == "closed" for v in on_survivor), 15,
                         "the media node to hang up")
    finally:
        await api.client.session.close()
        for viewer in viewers:
            await viewer.close()
        publisher.process.terminate()
        await publisher.process.wait()
        reader.cancel()
        await redis.aclose()
