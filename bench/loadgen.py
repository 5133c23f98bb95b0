"""A lean HTTP/1.1 load generator: one keep-alive connection per simulated buyer, requests prebuilt as bytes,
responses parsed just enough (status, Content-Length, body). It has to be much cheaper per request than the
server it measures, on a 2-core machine where both share the CPU."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Result:
    status: int
    body: bytes
    latency: float  # seconds, from the scheduled send time to the full response
    due: float = 0.0  # seconds after the start at which the request was due (sent, in a closed loop)


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).split(b"\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[0].split(b" ", 2)[1])
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        if self.waiter and not self.waiter.done():
            self.waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))
        if not self.closed.done():
            self.closed.set_result(None)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


def build_request(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: bench"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Buyer:
    """One simulated buyer: its own connection and its taps, sent one after another."""

    requests: list[bytes]
    at: list[float] = field(default_factory=list)  # offsets (s) from the start at which each is due


async def _run_buyer(conn: _Connection, buyer: Buyer, start: float, results: list[Result]) -> None:
    for i, raw in enumerate(buyer.requests):
        due = start + (buyer.at[i] if buyer.at else 0.0)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        scheduled = due if buyer.at else time.perf_counter()
        try:
            status, body = await conn.send(raw)
        except ConnectionError:
            results.append(Result(0, b"", time.perf_counter() - scheduled, scheduled - start))
            return
        results.append(Result(status, body, time.perf_counter() - scheduled, scheduled - start))


async def run(host: str, port: int, buyers: list[Buyer], connect_slots: int = 100) -> tuple[list[Result], float]:
    """Open every buyer's connection, then fire them all at once. Open loop when buyers have ``at``
    offsets (latency counts from the due time, so queueing cannot hide); closed loop otherwise.
    Returns the results and the elapsed seconds."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(connect_slots)

    async def connect() -> _Connection:
        async with slots:
            _, conn = await loop.create_connection(_Connection, host, port)
            return conn

    conns = await asyncio.gather(*(connect() for _ in buyers))
    results: list[Result] = []
    start = time.perf_counter() + 0.05
    try:
        await asyncio.gather(*(_run_buyer(c, b, start, results) for c, b in zip(conns, buyers, strict=True)))
    finally:
        for conn in conns:
            if conn.transport is not None:
                conn.transport.close()
    return results, time.perf_counter() - start


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
