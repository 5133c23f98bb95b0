"""No leaks: after 200 viewers joined (connected, received video) and left, the process holds no peer
connection, session, outlet, task, thread or file descriptor it did not hold before."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading

import aiohttp
import psutil
from aiortc import RTCPeerConnection

from bench import peers
from streams.peer import PeerSession
from streams.registry import MediaRegistry
from streams.rtp_outlet import RtpOutlet
from tests.streams.conftest import LiveShow, eventually

CYCLES = 200
AT_ONCE = 10


POOLS = ("asyncio_", "Thread-")  # the default executor's and the database pool's threads: bounded pools


def holdings() -> dict[str, int]:
    """What the process holds that a viewer could leak: peers, our objects, tasks, sockets, threads. Pooled
    threads and the database's files are left out: they grow to their pool's size, not with viewers."""
    gc.collect()
    objects = gc.get_objects()
    process = psutil.Process()
    files = {f.fd for f in process.open_files()}
    return {
        "peer connections": sum(isinstance(o, RTCPeerConnection) for o in objects),
        "media sessions": sum(isinstance(o, PeerSession) for o in objects),
        "outlets": sum(isinstance(o, RtpOutlet) for o in objects),
        "tasks": len(asyncio.all_tasks()),
        "udp sockets": len(process.net_connections("udp")),
        "file descriptors (not files)": sum(int(fd) not in files for fd in os.listdir("/proc/self/fd")),
        "threads (not pools)": sum(not t.name.startswith(POOLS) for t in threading.enumerate()),
    }


def no_more(now: dict[str, int], before: dict[str, int]) -> bool:
    return all(now[key] <= before[key] for key in before)


async def join_and_leave(http: aiohttp.ClientSession, base_url: str, show_id: str) -> None:
    viewer = await peers.watch(http, base_url, show_id, decode=False)
    try:
        await eventually(lambda: viewer.frames > 0, 15, "a viewer's first frame")
    finally:
        await viewer.close(http)


async def test_no_leaks_after_200_viewers_come_and_go(live_show: LiveShow, base_url: str, closing: list,
                                                      media: MediaRegistry) -> None:
    # No keep-alive: pooled HTTP connections would hold server-side handler tasks of their own.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
        closing.append(publisher)
        # Warm up at full concurrency: pools (database connections, the default executor) grow to their size.
        for _ in range(2):
            await asyncio.gather(*(join_and_leave(http, base_url, live_show.id) for _ in range(AT_ONCE)))
        await asyncio.sleep(0.5)
        before = holdings()
        for _ in range(CYCLES // AT_ONCE):
            await asyncio.gather(*(join_and_leave(http, base_url, live_show.id) for _ in range(AT_ONCE)))
        assert len(media.sessions) == 1, "only the publisher's session is left"
        with contextlib.suppress(AssertionError):
            await eventually(lambda: no_more(holdings(), before), 15, "holdings back to where they were")
        after = holdings()
        assert no_more(after, before), f"held before: {before}, after: {after}"
