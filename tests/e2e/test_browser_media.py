"""Real browsers: headless Chromium (Debian's package, fake camera and microphone) publishes from a page over
WHIP, another Chromium page watches over WHEP; the viewer's getStats() must show decoded frames. The time
from the viewer's POST to its first decoded frame is printed and recorded (junit property)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from live.keys import media_key
from tests.helpers import Api


async def wait_for(page: Any, expression: str, timeout_ms: int = 20000) -> Any:
    """Wait until the page's ``expression`` is truthy; a page failure shows up as the error."""
    handle = await page.wait_for_function(f"window.failure || ({expression})", timeout=timeout_ms)
    failure = await page.evaluate("window.failure")
    assert failure is None, failure
    return await handle.json_value()


async def open_viewer(browser: Any, url: str) -> tuple[Any, dict[str, float]]:
    page = await browser.new_page()
    await page.goto(url)
    return page, await wait_for(page, "window.firstFrameMs")


async def test_chromium_publishes_over_whip_and_chromium_watches_over_whep(
        api: Api, client: TestClient, browser: Any, record_property: Any, capsys: pytest.CaptureFixture[str]) -> None:
    owner = await api.merchant()
    host = await api.host(owner)
    show = await api.show(owner, host)
    await api.call("POST", f"/api/shows/{show['id']}/start", host, expect=200)
    base = str(client.make_url("")).rstrip("/")
    media = client.app[media_key]

    studio = await browser.new_page()
    await studio.goto(f"{base}/e2e/publish.html?show={show['id']}&token={host.token}")
    await wait_for(studio, "window.published")
    video = media.shows[show["id"]].relay.video
    timings = {}
    # The first viewer comes while the host's first pictures are cached and starts from them; the late one
    # comes when the cache has outgrown its limit and asks the host for a keyframe.
    for attempt, ready in (("first", lambda: video.cached_frames > 10), ("late", lambda: not video.cached_frames)):
        for _ in range(100):
            if ready():
                break
            await studio.wait_for_timeout(100)
        path = "cached pictures" if video.cached_frames else "keyframe request"
        viewer, first_frame = await open_viewer(browser, f"{base}/e2e/watch.html?show={show['id']}")
        await viewer.wait_for_timeout(1500)
        stats = await viewer.evaluate("window.video(window.session.pc)")
        assert stats["framesDecoded"] >= 20, stats
        assert stats["keyFramesDecoded"] >= 1 and stats["frameWidth"] == 640, stats
        timings[attempt] = {"start": path, "post_to_first_frame_ms": round(first_frame["sincePost"]),
                            "page_to_first_frame_ms": round(first_frame["sinceStart"]),
                            "frames_decoded_after_1_5s": stats["framesDecoded"]}
        record_property(f"{attempt}_viewer_post_to_first_frame_ms", round(first_frame["sincePost"]))
        await viewer.evaluate("window.session.stop()")
    with capsys.disabled():
        print("\n" + json.dumps({"test": "browser", "viewers": timings}))

    await studio.evaluate("window.session.stop()")
    assert media.sessions == {}, "both pages hung up with DELETE"
