"""A browser through placement: Chromium opens the watch page on a web-only node; its WHEP POST is answered
307 to the media node, which fetch follows cross-origin with the body (CORS preflight included), and the
ticket in the URL stands in for what the redirect dropped; the video plays from the media node."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from bench.common import free_port
from tests.conftest import delete_prefixed
from tests.e2e.conftest import PHONE, OpenPage
from tests.e2e.flows import HAS_PICTURE, WAIT_MS
from tests.processes import ServerProcess, new_prefix, server_env, started_show
from tests.services import Services
from tests.streams.conftest import PublisherProcess, eventually

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def web_and_media(services: Services, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    prefix, secret = new_prefix(), "browser-nodes-" + secrets.token_hex(16)
    web = ServerProcess(server_env(services, tmp_path / "web", prefix, secret, LIVE_ROLE="web"), free_port())
    media = ServerProcess(server_env(services, tmp_path / "media", prefix, secret, LIVE_ROLE="media",
                                     LIVE_RUN_WORKERS="false"), free_port())
    try:
        web.start(60)
        media.start(60)
        yield web, media
    finally:
        web.stop()
        media.stop()
        asyncio.run(delete_prefixed(services.redis_url, prefix))


async def test_the_watch_page_follows_placement_to_the_media_node(
        web_and_media: tuple[ServerProcess, ServerProcess], open_page: OpenPage) -> None:
    web, media = web_and_media
    show, host = await started_show(web.url)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.peers", "publish", web.url,
                                                   show["id"], host.token, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    publisher = PublisherProcess(process)
    reader = asyncio.ensure_future(publisher.read())
    try:
        await eventually(lambda: any(line.get("event") == "published" for line in publisher.lines), 30, "publishing")
        assert str(URL(publisher.location).origin()) == media.url

        answers: list[tuple[str, str, int]] = []
        page = await open_page(f"{web.url}/watch/{show['id']}", viewport=PHONE, locale="en-US")

        def on_response(response: Any) -> None:
            if "/whep" in response.url:
                answers.append((response.request.method, response.url, response.status))

        page.on("response", on_response)
        await page.reload()  # every WHEP answer of this load is seen
        await page.wait_for_function(HAS_PICTURE, timeout=WAIT_MS)
        first = await page.evaluate("document.querySelector('video#player').currentTime")
        await page.wait_for_function(f"document.querySelector('video#player').currentTime > {first} + 1",
                                     timeout=WAIT_MS)
        posts = [(URL(url).origin(), status) for method, url, status in answers if method == "POST"]
        assert (URL(web.url), 307) in posts and (URL(media.url), 201) in posts, answers
    finally:
        process.terminate()
        await process.wait()
        reader.cancel()


