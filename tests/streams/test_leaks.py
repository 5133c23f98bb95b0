"""No leaks: after 200 viewers joined (connected, received video) and left, the process holds no peer
connection, session, outlet, task, thread or file descriptor it did not hold before."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
import threading
from collections import Counter

import aiohttp
import psutil
from aiortc import RTCPeerConnection
from yarl import URL

from bench import peers
from streams.peer import PeerSession
from streams.registry import MediaRegistry
from streams.rtp_outlet import RtpOutlet
from tests.services import Services
from tests.streams.conftest import LiveShow, eventually

CYCLES = 200
AT_ONCE = 10


POOLS = ("asyncio_", "Thread-")  # the default executor's and the database pool's threads: bounded pools


def pooled(process: psutil.Process, services: Services) -> set[int]:
    """The descriptors of connections to the suite's Redis and database: their pools open one more when a
    moment's concurrency peaks (up to the pool's size), whatever the viewers do. Redis over a unix socket
    (the embedded one) is the process's only unix stream socket pool."""
    ports = {port for url in (services.redis_url, services.database_url) if (port := URL(url).port)}
    held = {c.fd for c in process.net_connections("unix") if c.type == socket.SOCK_STREAM}
    return held | {c.fd for c in process.net_connections("tcp") if c.raddr and c.raddr.port in ports}


def holdings(services: Services) -> dict[str, int]:
    """What the process holds that a viewer could leak: peers, our objects, tasks, sockets, threads. Pooled
    threads, the database's files and the pooled connections to Redis and the database are left out: they
    grow to their pool's size, not with viewers."""
    gc.collect()
    objects = gc.get_objects()
    process = psutil.Process()
    files = {f.fd for f in process.open_files()} | pooled(process, services)
    return {
        "peer connections": sum(isinstance(o, RTCPeerConnection) for o in objects),
        "media sessions": sum(isinstance(o, PeerSession) for o in objects),
        "outlets": sum(isinstance(o, RtpOutlet) for o in objects),
        "tasks": len(asyncio.all_tasks()),
        "udp sockets": len(process.net_connections("udp")),
        "file descriptors (not files)": sum(int(fd) not in files for fd in os.listdir("/proc/self/fd")),
        "threads (not pools)": sum(not t.name.startswith(POOLS) for t in threading.enumerate()),
    }


def descriptor_kinds() -> Counter[str]:
    """Every descriptor by kind (a file's path, socket, pipe, anon_inode:[eventfd], ...): a failure says what
    was left behind."""
    kinds: Counter[str] = Counter()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            target = os.readlink(f"/proc/self/fd/{fd}")
            kinds[target.split(":[")[0] if target.startswith(("socket:", "pipe:")) else target] += 1
    return kinds


def no_more(now: dict[str, int], before: dict[str, int]) -> bool:
    return all(now[key] <= before[key] for key in before)


async def join_and_leave(http: aiohttp.ClientSession, base_url: str, show_id: str) -> None:
    viewer = await peers.watch(http, base_url, show_id, decode=False)
    try:
        await eventually(lambda: viewer.frames > 0, 15, "a viewer's first frame")
    finally:
        await viewer.close(http)


async def test_no_leaks_after_200_viewers_come_and_go(live_show: LiveShow, base_url: str, closing: list,
                                                      media: MediaRegistry, services: Services) -> None:
    # No keep-alive: pooled HTTP connections would hold server-side handler tasks of their own.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
        closing.append(publisher)
        # Warm up at full concurrency: pools (database connections, the default executor) grow to their size.
        for _ in range(2):
            await asyncio.gather(*(join_and_leave(http, base_url, live_show.id) for _ in range(AT_ONCE)))
        await asyncio.sleep(0.5)
        before, kinds_before = holdings(services), descriptor_kinds()
        for _ in range(CYCLES // AT_ONCE):
            await asyncio.gather(*(join_and_leave(http, base_url, live_show.id) for _ in range(AT_ONCE)))
        assert len(media.sessions) == 1, "only the publisher's session is left"
        with contextlib.suppress(AssertionError):
            await eventually(lambda: no_more(holdings(services), before), 15, "holdings back to where they were")
        after = holdings(services)
        assert no_more(after, before), (f"held before: {before}, after: {after}; descriptors gained: "
                                        f"{descriptor_kinds() - kinds_before}")
