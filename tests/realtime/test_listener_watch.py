"""The socket.io Redis listener is watched: when it dies, or Redis drops and comes back, it is restarted at
once and the process answers 503 on /healthz and /readyz until it hears the other processes again. Against a
redis-server of the test's own, which the test kills and restarts (the machine's Redis is never touched)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from live.config import Settings
from live.keys import sio_key, sio_listener_key
from tests.conftest import free_port, make_settings
from tests.services import Services


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.port, self.directory = free_port(), directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        while subprocess.run(ping, capture_output=True, check=False).stdout != b"PONG\n":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def settings(services: Services, tmp_path: Path, own_redis: OwnRedis) -> Settings:
    return make_settings(services, tmp_path / "data", redis_url=own_redis.url, run_workers=False)


async def status(client: TestClient, path: str) -> tuple[int, dict[str, bool], str | None]:
    async with client.get(path) as response:
        body = await response.json()
        return response.status, body["checks"], response.headers.get("Retry-After")


async def wait_status(client: TestClient, wanted: int, timeout: float = 15.0) -> dict[str, bool]:
    deadline = time.monotonic() + timeout
    while True:
        code, checks, _ = await status(client, "/readyz")
        if code == wanted:
            return checks
        assert time.monotonic() < deadline, f"/readyz stayed {code}: {checks}"
        await asyncio.sleep(0.2)


async def test_a_dead_listener_is_restarted_and_reported_meanwhile(client: TestClient) -> None:
    await wait_status(client, 200)
    watch = client.app[sio_listener_key]
    listener = client.app[sio_key].manager.thread
    listener.cancel()  # as if it crashed
    await asyncio.sleep(0)
    assert not watch.healthy
    code, checks, retry = await status(client, "/healthz")
    assert (code, checks["socketio_listener"], retry) == (503, False, "1")
    await wait_status(client, 200, timeout=5)
    assert watch.restarts == 1 and client.app[sio_key].manager.thread is not listener


async def test_redis_dropping_makes_the_process_unready_until_it_is_back(client: TestClient,
                                                                        own_redis: OwnRedis) -> None:
    await wait_status(client, 200)
    own_redis.kill()
    deadline = time.monotonic() + 10
    while (checks := (await status(client, "/readyz"))[1])["socketio_listener"]:
        assert time.monotonic() < deadline, "the watch did not notice Redis dropping"
        await asyncio.sleep(0.2)
    assert checks["redis"] is False
    await asyncio.sleep(3)  # socket.io's own listener is in its backoff by now
    own_redis.start()
    checks = await wait_status(client, 200, timeout=15)
    assert checks == {"redis": True, "database": True, "socketio_listener": True, "accepting": True}
    watch = client.app[sio_listener_key]
    assert watch.restarts >= 1, "the listener was reconnected at once, not after socket.io's backoff"
    # The restarted listener hears emits published through Redis again.
    heard: list[object] = []
    manager = client.app[sio_key].manager
    original = manager._handle_emit

    async def record(message: dict[str, object]) -> None:
        heard.append(message.get("event"))
        await original(message)

    manager._handle_emit = record
    redis_client = client.app[sio_key].manager.publisher
    payload = manager.json.dumps({"method": "emit", "event": "probe-event", "data": {}, "namespace": "/",
                                  "room": "nobody", "host_id": "another-process"})
    deadline = time.monotonic() + 5
    while "probe-event" not in heard:
        await redis_client.publish(manager.channel, payload)
        assert time.monotonic() < deadline, "the restarted listener does not hear other processes"
        await asyncio.sleep(0.2)
