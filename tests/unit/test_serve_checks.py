"""What ``live serve`` checks before it answers: a database that was never migrated, or is behind the code,
is refused with one line that says what to do (not a 500 on every page); and the links we print and serve
follow the served port unless LIVE_PUBLIC_URL says otherwise."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from db import migrate
from db.session import make_engine
from live.cli import _settings, build_parser
from live.config import Settings
from tests.conftest import free_port
from tests.services import create_database, drop_database, migrate_to_head


def _serve(database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(LIVE_DATABASE_URL=database_url, LIVE_DATA_DIR=str(data_dir), LIVE_REDIS_URL="redis://127.0.0.1:1/0")
    return subprocess.run([sys.executable, "-m", "live", "serve", "--port", str(free_port()), "--workers", "2"],
                          check=False, env=env, capture_output=True, text=True, timeout=60)


async def _downgrade_one(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.downgrade(engine, "-1")
    finally:
        await engine.dispose()


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = create_database("unmigrated", tmp_path)
    try:
        done = _serve(url, tmp_path / "data")
    finally:
        drop_database(url)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "live: the database schema is missing or out of date: run `live migrate`")


def test_serve_refuses_a_database_behind_the_code(tmp_path: Path) -> None:
    url = create_database("behind", tmp_path)
    try:
        asyncio.run(migrate_to_head(url))
        asyncio.run(_downgrade_one(url))
        done = _serve(url, tmp_path / "data")
    finally:
        drop_database(url)
    assert done.returncode == 2 and "run `live migrate`" in done.stderr


def test_public_url_follows_the_served_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVE_PUBLIC_URL", raising=False)
    monkeypatch.delenv("LIVE_PORT", raising=False)
    assert _settings(build_parser().parse_args(["serve", "--port", "8099"])).public_url == "http://localhost:8099"
    assert Settings(host="0.0.0.0", port=8123).public_url == "http://localhost:8123"
    assert Settings(host="shop.example", port=9000).public_url == "http://shop.example:9000"
    monkeypatch.setenv("LIVE_PORT", "8099")
    assert Settings().public_url == "http://localhost:8099", "`live demo` under `make run PORT=8099`"
    monkeypatch.setenv("LIVE_PUBLIC_URL", "https://shop.example")
    assert _settings(build_parser().parse_args(["serve", "--port", "8099"])).public_url == "https://shop.example"


def test_make_run_on_another_port_prints_links_to_it(tmp_path: Path) -> None:
    """`make run PORT=8099` hands the port to the demo (whose links it prints) and to the server."""
    root = Path(__file__).resolve().parents[2]
    planned = subprocess.run(["make", "-n", "run", "PORT=8099"], cwd=root, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert "LIVE_PORT=8099 .venv/bin/live demo --if-empty" in planned and ".venv/bin/live serve --port 8099" in planned
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(LIVE_DATA_DIR=str(tmp_path / "data"), LIVE_PORT=str(port))
    for command in (["migrate"], ["demo", "--if-empty"]):
        done = subprocess.run([sys.executable, "-m", "live", *command], env=env, capture_output=True, text=True,
                              timeout=120, check=True)
    assert f"http://localhost:{port}/watch/shw_" in done.stdout
