"""Bounded waits and honest refusals: a Redis that could lose a 201 is refused at start-up; a stalled or
dead Redis makes taps and Redis-backed reads answer 503 retry with Retry-After within the timeout, never 500
and never a hang; the pipelined tap connection speaks TLS, drops a connection whose AUTH failed and backs off."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError

from live.app import create_app
from live.commerce.pipeline import PipelinedConnection
from live.redis_durability import RedisNotDurable
from tests.conftest import running_client
from tests.faults.conftest import OwnRedis, redis_binary
from tests.faults.history import check
from tests.faults.spike import live_spike
from tests.faults.test_redis_crash import durable_settings
from tests.helpers import Api
from tests.services import Services


@pytest.mark.parametrize(("appendonly", "appendfsync", "problem"), [
    ("yes", "everysec", "appendfsync everysec"),
    ("no", "always", "appendonly no"),
])
async def test_a_redis_that_could_lose_a_201_is_refused(
        tmp_path: Path, own_database: str, appendonly: str, appendfsync: str, problem: str) -> None:
    redis = OwnRedis(redis_binary(), tmp_path / "redis", appendfsync, extra=("--appendonly", appendonly))
    redis.start()
    try:
        settings = durable_settings(Services(redis.url, own_database), tmp_path / "data")
        runner = web.AppRunner(create_app(settings))
        with pytest.raises(RedisNotDurable, match=problem):
            await runner.setup()
        await runner.cleanup()
        # The same from the command line: one clear line and exit status 2, not a traceback.
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
        env.update(LIVE_REDIS_URL=redis.url, LIVE_DATABASE_URL=own_database, LIVE_DATA_DIR=str(tmp_path / "cli"),
                   LIVE_PORT="0")
        served = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "live", "serve"], env=env,
                                         capture_output=True, text=True, timeout=60)
        assert served.returncode == 2, served.stderr
        (refusal,) = [line for line in served.stderr.splitlines() if line.startswith("live: ")]
        assert problem in refusal and "LIVE_REDIS_DURABILITY=unsafe" in refusal
        assert "Traceback" not in served.stderr
        # The documented opt-out serves anyway.
        unsafe = web.AppRunner(create_app(settings.model_copy(update={"redis_durability": "unsafe"})))
        await unsafe.setup()
        await unsafe.cleanup()
    finally:
        redis.stop()


async def test_stalled_then_dead_redis_answers_503_within_the_timeout(
        aiohttp_client, fault_services: Services, own_redis: OwnRedis, tmp_path: Path) -> None:
    settings = durable_settings(fault_services, tmp_path / "data", redis_timeout_seconds=1.0)
    async with running_client(aiohttp_client, settings) as client:
        spike, buyers = await live_spike(Api(client), stock=10, limit=1, buyers=3)
        status, body = await spike.tap(buyers[0], "first")
        assert status == 201
        order_id = body["order"]["id"]

        own_redis.pause()
        try:
            started = time.monotonic()
            status, body = await spike.tap(buyers[1], "during-stall")
            assert status == 503 and body["error"]["code"] == "retry", body
            assert time.monotonic() - started < 4, "the tap waited past the Redis timeout"
            status, _ = await spike.api.call("GET", f"/api/orders/{order_id}", buyers[0])
            assert status == 503
        finally:
            own_redis.resume()
        status, body = await spike.buy(buyers[1], "during-stall", give_up_after=15)
        assert status in (200, 201), body  # the stalled script may have run: the same key finds its order

        own_redis.kill9()
        status, body = await spike.tap(buyers[2], "while-dead")
        assert status == 503 and body["error"]["code"] == "retry", body
        await asyncio.to_thread(own_redis.start)
        status, body = await spike.buy(buyers[2], "while-dead", give_up_after=15)
        assert status == 201, body
        problems = check(spike.history, stock={spike.offer_id: 10}, limit=1, sql_orders=[])
        assert not [p for p in problems if "not in SQL" not in p], problems


async def test_pipelined_connection_drops_a_failed_auth_and_backs_off(tmp_path: Path) -> None:
    redis = OwnRedis(redis_binary(), tmp_path / "redis", extra=("--requirepass", "right-password"))
    redis.start()
    try:
        wrong = PipelinedConnection(f"redis://:wrong@127.0.0.1:{redis.port}/0", timeout=2)
        with pytest.raises(RedisConnectionError, match=r"WRONGPASS|invalid"):
            await wrong.open()
        assert wrong.ready is None, "a connection whose AUTH failed is never used"
        with pytest.raises(RedisConnectionError, match="reconnecting shortly"):
            await wrong.open()  # backing off: answered at once, without hammering Redis
        right = PipelinedConnection(f"redis://:right-password@127.0.0.1:{redis.port}/2", timeout=2)
        assert await _ping(right) == "PONG"
        right.close()
    finally:
        redis.stop()


async def test_pipelined_connection_speaks_tls(tmp_path: Path) -> None:
    if not os.access("/usr/bin/openssl", os.X_OK):
        pytest.skip("no openssl binary to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True)
    redis = OwnRedis(redis_binary(), tmp_path / "redis")
    tls_port = redis.port
    redis.extra = ["--port", "0", "--tls-port", str(tls_port), "--tls-cert-file", str(cert), "--tls-key-file",
                   str(key), "--tls-auth-clients", "no"]
    redis.start()
    try:
        verified = PipelinedConnection(f"rediss://127.0.0.1:{tls_port}/0?ssl_ca_certs={cert}", timeout=2)
        assert await _ping(verified) == "PONG"
        verified.close()
        untrusted = PipelinedConnection(f"rediss://127.0.0.1:{tls_port}/0", timeout=2)
        with pytest.raises(RedisConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusted.open()
    finally:
        redis.stop()


async def _ping(connection: PipelinedConnection) -> str:
    protocol = await connection.open()
    future = asyncio.get_running_loop().create_future()
    connection.submit(protocol, [["PING"]], [future])
    return str(await future)


async def test_a_redis_restarted_without_fsync_takes_no_taps(
        aiohttp_client, fault_services: Services, own_redis: OwnRedis, tmp_path: Path) -> None:
    """The start-up check holds for every later Redis run too (a restart or failover onto other settings)."""
    settings = durable_settings(fault_services, tmp_path / "data")
    async with running_client(aiohttp_client, settings) as client:
        spike, buyers = await live_spike(Api(client), stock=10, limit=1, buyers=2)
        assert (await spike.tap(buyers[0], "durable"))[0] == 201
        own_redis.stop()
        own_redis.appendfsync = "everysec"
        await asyncio.to_thread(own_redis.start)
        for _ in range(3):
            status, body = await spike.tap(buyers[1], "not-durable")
            assert status == 503 and body["error"]["code"] == "retry", body
            await asyncio.sleep(0.3)
        own_redis.stop()
        own_redis.appendfsync = "always"
        await asyncio.to_thread(own_redis.start)
        status, body = await spike.buy(buyers[1], "not-durable", give_up_after=15)
        assert status == 201, body
