"""Honest audience figures through real socket.io clients: one viewer per account or device whatever their
sockets, an anonymous refresher counts once, and a crashed process's viewers leave the count within seconds
without ever raising the peak."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from live.config import Settings
from tests.conftest import free_port
from tests.helpers import Api, eventually
from tests.processes import ServerProcess, server_env
from tests.realtime.conftest import Socket, SocketFactory
from tests.services import Services


async def results(api: Api, owner: Any, show_id: str) -> dict[str, Any]:
    _, body = await api.call("GET", f"/api/shows/{show_id}/results", owner, expect=200)
    return dict(body)


def counts(socket: Socket) -> list[int]:
    return [event["count"] for event in socket.events["viewers"]]


async def test_an_anonymous_refresher_counts_as_one_unique_viewer(
        api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    watcher = await sockets(await api.viewer("Watcher"))
    await watcher.join(show["id"])
    device = secrets.token_hex(12)
    for _ in range(4):  # the page reloaded four times: a new socket each time, the same localStorage id
        page = await sockets(auth={"name": "Anon", "device_id": device})
        snapshot = await page.join(show["id"])
        assert snapshot["viewers"] == 2, snapshot["viewers"]
        await page.close()
    tabs = [await sockets(auth={"device_id": device}) for _ in range(2)]  # and open in two tabs at once
    for tab in tabs:
        assert (await tab.join(show["id"]))["viewers"] == 2
    no_id = [await sockets(name="Script") for _ in range(3)]  # no device id: once per address
    for socket in no_id:
        await socket.join(show["id"])
    await watcher.wait_for("viewers", lambda e: e["count"] == 3)
    figures = await eventually(lambda: _settled(api, owner, show["id"], uniques=3), timeout=20)
    assert figures["peak_viewers"] == 3 and max(counts(watcher)) == 3, counts(watcher)


async def _settled(api: Api, owner: Any, show_id: str, uniques: int) -> dict[str, Any] | None:
    figures = await results(api, owner, show_id)
    return figures if figures["unique_viewers"] == uniques else None


async def test_a_crashed_process_viewers_leave_the_count_and_never_raise_the_peak(
        api: Api, sockets: SocketFactory, client: TestClient, settings: Settings, services: Services,
        tmp_path: Path) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    other = ServerProcess(server_env(services, tmp_path / "other", settings.redis_prefix, settings.secret_key or "",
                                     LIVE_RUN_WORKERS="false"), free_port()).start()
    try:
        watcher = await sockets(await api.viewer("Watcher"))
        await watcher.join(show["id"])
        returning, lost = secrets.token_hex(12), secrets.token_hex(12)
        on_other = [await Socket(other.url).connect(auth={"device_id": d}) for d in (returning, lost)]
        for socket in on_other:
            await socket.join(show["id"])
        await watcher.wait_for("viewers", lambda e: e["count"] == 3)
        other.kill()
        crashed_at = time.monotonic()
        back = await sockets(auth={"device_id": returning})  # the page reconnects to the surviving process
        assert (await back.join(show["id"]))["viewers"] == 3, "the returning viewer is still one viewer"
        await watcher.wait_for("viewers", lambda e: e["count"] == 2, timeout=15)
        assert time.monotonic() - crashed_at < 10, "the lost viewer left the count within seconds"
        assert max(counts(watcher)) == 3, counts(watcher)
        figures = await eventually(lambda: _settled(api, owner, show["id"], uniques=3), timeout=20)
        assert figures["peak_viewers"] == 3, "the crash never raised the peak"
    finally:
        other.stop()
