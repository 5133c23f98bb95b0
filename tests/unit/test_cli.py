"""What `make run` does, on the embedded defaults: migrate, seed the demo (idempotently), serve; then the
demo show is listed by the public API."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from live.redis_server import answers_ping, socket_path_for
from tests.conftest import free_port
from tests.realtime.conftest import Socket


def _live(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "live", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=True)


async def _current_card(url: str, show_id: str) -> dict[str, Any] | None:
    socket = await Socket(url).connect(name="Visitor")
    try:
        return (await socket.join(show_id))["card"]
    finally:
        await socket.close()


def test_migrate_demo_serve_on_embedded_defaults(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(LIVE_DATA_DIR=str(tmp_path / "data"), LIVE_PUBLIC_URL=f"http://localhost:{port}")
    _live(["migrate"], env)
    first = _live(["demo", "--if-empty"], env).stdout
    assert "Demo ready" in first and "/watch/shw_" in first
    assert "skipped" in _live(["demo", "--if-empty"], env).stdout
    again = _live(["demo"], env).stdout
    assert first.split("/watch/")[1].split()[0] == again.split("/watch/")[1].split()[0], "demo is idempotent"

    server = subprocess.Popen([sys.executable, "-m", "live", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/shows", timeout=2) as response:
                    shows = json.load(response)["shows"]
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert [s["title"] for s in shows] == ["Friday Night Drops"]
        assert shows[0]["state"] == "live"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/shows/{shows[0]['id']}", timeout=5) as response:
            images = [offer["image_url"] for offer in json.load(response)["offers"]]
        assert len(images) == 4 and all(url.startswith(f"http://localhost:{port}/static/img/demo/") for url in images)
        for url in images:  # the illustrations are served by the server itself, so the demo works offline
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200 and response.headers["Content-Type"] == "image/svg+xml"
        card = asyncio.run(_current_card(f"http://127.0.0.1:{port}", shows[0]["id"]))
        assert card is not None and card["pinned"] and card["on_sale"], "a demo visitor has something to buy"
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert server.returncode == 0
    assert not answers_ping(socket_path_for(tmp_path / "data")), "the embedded Redis stops with the server"
