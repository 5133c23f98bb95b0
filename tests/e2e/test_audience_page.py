"""The watch page's device id in Chromium: a watcher who reloads stays one viewer, two browsers on the same
address are two (the page keeps a random id in localStorage and sends it with its socket)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from tests.e2e.conftest import PHONE, OpenPage, base_url
from tests.helpers import Api, eventually


async def test_a_refreshing_watcher_is_one_viewer_and_another_browser_is_another(
        api: Api, client: TestClient, open_page: OpenPage) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    url = f"{base_url(client)}/watch/{show['id']}"
    first = await open_page(url, viewport=PHONE, locale="en-US")
    await expect(first.locator("body")).to_have_attribute("data-room", "joined")
    device = await first.evaluate("localStorage.getItem('live_device')")
    assert device and len(device) == 32
    for _ in range(3):
        await first.reload()
        await expect(first.locator("body")).to_have_attribute("data-room", "joined")
    assert await first.evaluate("localStorage.getItem('live_device')") == device, "the id survives reloads"
    second = await open_page(url, viewport=PHONE, locale="en-US")  # its own context: another browser
    await expect(second.locator("body")).to_have_attribute("data-room", "joined")
    assert await second.evaluate("localStorage.getItem('live_device')") != device

    async def figures() -> dict[str, Any] | None:
        _, body = await api.call("GET", f"/api/shows/{show['id']}/results", owner, expect=200)
        return body if body["unique_viewers"] == 2 else None

    result = await eventually(figures, timeout=20)
    assert result["peak_viewers"] == 2, "four page loads and a second browser: two viewers at most"
