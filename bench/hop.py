"""The latency of one relay hop, for ``bench relay --nodes``: two viewers of one show, the first placed on
the origin (started while it is the only node), the second on an edge (opened on SIGUSR1, after the edges
started; again on each SIGUSR1). Both record when each encoded frame arrives, keyed by a hash of its bytes:
edges forward the origin's bytes untouched, so the same frame is recognised on both paths. Prints a JSON
line twice a second: the median and p95 of (edge arrival - origin arrival) over the frames both received.

``python -m bench.hop BASE SHOW_ID``
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import sys
import time

import aiohttp
from aiortc import RTCPeerConnection

from bench import peers
from streams.aiortc_compat import tap_receiver


class ArrivalViewer:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection(peers.NO_ICE_SERVERS)
        self.arrivals: dict[bytes, float] = {}
        self.location = ""

    def sink(self, codec: str, data: bytes, timestamp: int) -> None:
        if codec.lower() != "opus":
            self.arrivals[hashlib.blake2b(data, digest_size=8).digest()] = time.monotonic()

    async def open(self, http: aiohttp.ClientSession, base: str, show_id: str) -> ArrivalViewer:
        for kind in ("video", "audio"):
            tap_receiver(self.pc.addTransceiver(kind, direction="recvonly").receiver, self.sink)
        self.location = await peers.exchange(http, f"{base}/api/shows/{show_id}/whep", self.pc, {})
        return self


def quantile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


async def run(base: str, show_id: str) -> None:
    wanted = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, wanted.set)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with aiohttp.ClientSession() as http:
        origin = await ArrivalViewer().open(http, base, show_id)
        edge: ArrivalViewer | None = None
        print(json.dumps({"event": "watching", "origin": origin.location}), flush=True)
        while not stop.is_set():
            if wanted.is_set():
                wanted.clear()
                if edge is not None:
                    await edge.pc.close()
                edge = await ArrivalViewer().open(http, base, show_id)
                print(json.dumps({"event": "edge", "edge": edge.location}), flush=True)
            await asyncio.sleep(0.5)
            if edge is not None:
                both = [edge.arrivals[k] - t for k, t in origin.arrivals.items() if k in edge.arrivals]
                print(json.dumps({"event": "stats", "time": time.monotonic(), "frames": len(both),
                                  "median_ms": round(1000 * (quantile(both, 0.5) or 0), 2),
                                  "p95_ms": round(1000 * (quantile(both, 0.95) or 0), 2)}), flush=True)
        for viewer in (origin, edge):
            if viewer is not None:
                await viewer.pc.close()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2]))
