"""The embedded default: the app starts a real redis-server on a unix socket in its data folder, with AOF,
stops it on exit, and the data survives a restart."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from live import keys, redis_server
from live.app import create_app
from live.config import Settings
from live.redis_server import EmbeddedRedis, EmbeddedRedisError
from tests.conftest import free_port
from tests.helpers import eventually


async def _run_app(settings: Settings, action):
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    try:
        return await action(runner.app)
    finally:
        await runner.cleanup()


async def test_app_starts_and_stops_its_own_redis_with_aof(tmp_path: Path, services) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=services.database_url, run_workers=False,
                        secret_key="embedded-test-" + secrets.token_hex(32))

    async def write(app: web.Application) -> str:
        redis = app[keys.redis_key]
        await redis.set("survives", "yes")
        info = await redis.info("persistence")
        assert info["aof_enabled"] == 1
        return str(redis.connection_pool.connection_kwargs.get("path"))

    socket_path = await _run_app(settings, write)
    assert socket_path.startswith(str((tmp_path / "data").resolve()))
    assert (tmp_path / "data" / "redis" / "appendonly.aof").exists() or any(
        (tmp_path / "data" / "redis").glob("appendonly*"))
    assert not Path(socket_path).exists() or not redis_server.answers_ping(Path(socket_path)), "stopped on exit"

    async def read(app: web.Application) -> bytes | str | None:
        return await app[keys.redis_key].get("survives")

    assert await _run_app(settings, read) == "yes"


def test_a_server_left_running_is_adopted_not_replaced(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path)
    first.start()
    try:
        second = EmbeddedRedis(tmp_path)
        assert second.start() == first.url
        assert second.process is None, "the second one reuses the running server"
    finally:
        first.stop()


async def test_an_orphan_of_a_killed_app_is_adopted_and_stopped_on_shutdown(tmp_path: Path, services) -> None:
    data = tmp_path / "data"
    port = free_port()
    key = secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(LIVE_DATA_DIR=str(data), LIVE_DATABASE_URL=services.database_url, LIVE_SECRET_KEY=key,
               LIVE_PORT=str(port), LIVE_REDIS_RECOVERY="false", LIVE_LOG_LEVEL="WARNING")
    app = subprocess.Popen([sys.executable, "-m", "live", "serve"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        await eventually(lambda: _healthy(port), timeout=30, interval=0.1)
        orphan = int((data / "redis" / "redis.pid").read_text())
    finally:
        app.kill()
        app.wait(10)
    assert redis_server.process_alive(orphan), "the app's SIGKILL leaves its redis-server running"

    settings = Settings(data_dir=data, database_url=services.database_url, run_workers=False, secret_key=key,
                        redis_recovery=False)

    async def use(app: web.Application) -> int:
        await app[keys.redis_key].set("still", "here")
        return int((data / "redis" / "redis.pid").read_text())

    assert await _run_app(settings, use) == orphan, "adopted, not replaced"
    await eventually(lambda: _dead(orphan), timeout=15, interval=0.05)


async def _healthy(port: int) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def _dead(pid: int) -> bool:
    return not redis_server.process_alive(pid)


def test_clear_error_without_any_redis_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_server, "find_redis_binary", lambda: None)
    with pytest.raises(EmbeddedRedisError, match="LIVE_REDIS_URL"):
        EmbeddedRedis(tmp_path).start()


def test_long_data_paths_get_a_short_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    path = redis_server.socket_path_for(deep)
    assert len(str(path)) <= redis_server.MAX_UNIX_PATH
