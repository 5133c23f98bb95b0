"""Real browsers for the page tests: headless Chromium (Debian's package) driven by Playwright, with a fake
camera and microphone. Every page a test opens records console errors and uncaught exceptions, and the test
fails if any happened; ``shot`` saves a screenshot of a key moment under ``tests/e2e/artifacts/``."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from live.app import create_app
from live.config import Settings
from tests.conftest import delete_prefixed, free_port, make_settings
from tests.services import Services

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PAGES = Path(__file__).parent / "pages"  # test-only pages: a bare WHIP publisher and WHEP viewer, a picture
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
HAS_CHROMIUM = Path(CHROMIUM).exists() or shutil.which("chromium") is not None
NO_CHROMIUM = "Debian's chromium is not installed (apt-get install -y chromium); CI installs it"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            if not HAS_CHROMIUM:
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    """The production limits: a real viewer buying, chatting and watching is never limited."""
    return make_settings(services, tmp_path / "data", production_limits=True, port=free_port())


@pytest.fixture
async def client(aiohttp_client, settings: Settings) -> AsyncIterator[TestClient]:
    """The app with the test pages under /e2e/, on ``settings.port`` so the sandbox's payment webhooks
    reach it."""
    app = create_app(settings)
    app.router.add_static("/e2e/", PAGES)
    test_client = await aiohttp_client(app, server_kwargs={"port": settings.port})
    yield test_client
    await test_client.close()
    await delete_prefixed(settings.redis_url or "", settings.redis_prefix)


def base_url(client: TestClient) -> str:
    return str(client.make_url("")).rstrip("/")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        await chromium.close()


OpenPage = Callable[..., Awaitable[Any]]
API_ANSWER = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d\b")


def _is_error(message: Any) -> bool:
    """Chromium logs every 4xx answer to a fetch as an error; an /api/ answer (sold_out, 401 from /api/me) is
    the page's business, shown as state. Any other failed resource, a 5xx, or an exception still counts."""
    if message.type != "error":
        return False
    return not (API_ANSWER.match(message.text) and urlsplit(message.location.get("url", "")).path.startswith("/api/"))


@pytest.fixture
async def open_page(browser: Any) -> AsyncIterator[OpenPage]:
    """``await open_page(url, viewport=PHONE)``: a page in its own browser context (own cookies), watched for
    console errors, which fail the test at the end."""
    errors: list[str] = []
    contexts: list[Any] = []

    async def open_(url: str, viewport: dict[str, int] = DESKTOP, **context_options: Any) -> Any:
        context = await browser.new_context(viewport=viewport, **context_options)
        contexts.append(context)
        page = await context.new_page()
        name = f"page {len(contexts)} ({url})"

        def on_console(message: Any, name: str = name) -> None:
            if _is_error(message):
                errors.append(f"{name}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(f"{name}: uncaught {error}"))
        await page.goto(url)
        return page

    yield open_
    for context in contexts:
        await context.close()
    assert errors == [], "console errors on the pages:\n" + "\n".join(errors)


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Awaitable[Path]]:
    """``await shot(page, "reserved")`` saves tests/e2e/artifacts/<test>/<n>-reserved.png."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    counter = [0]

    async def take(page: Any, label: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        counter[0] += 1
        path = folder / f"{counter[0]:02d}-{label}.png"
        await page.screenshot(path=str(path))
        return path

    return take
