"""The embedded default: the app starts a real redis-server on a unix socket in its data folder, with AOF,
stops it on exit, and the data survives a restart."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from aiohttp import web

from live import keys, redis_server
from live.app import create_app
from live.config import Settings
from live.redis_server import EmbeddedRedis, EmbeddedRedisError


async def _run_app(settings: Settings, action):  # type: ignore[no-untyped-def]
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    try:
        return await action(runner.app)
    finally:
        await runner.cleanup()


async def test_app_starts_and_stops_its_own_redis_with_aof(tmp_path: Path, services) -> None:  # type: ignore[no-untyped-def]
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

    async def read(app: web.Application) -> str | None:
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


def test_clear_error_without_any_redis_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_server, "find_redis_binary", lambda: None)
    with pytest.raises(EmbeddedRedisError, match="LIVE_REDIS_URL"):
        EmbeddedRedis(tmp_path).start()


def test_long_data_paths_get_a_short_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    path = redis_server.socket_path_for(deep)
    assert len(str(path)) <= redis_server.MAX_UNIX_PATH
