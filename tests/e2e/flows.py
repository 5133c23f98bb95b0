"""Steps the page tests share: signing in through the form, the studio's counters, the watch page opened as
a given viewer, the first purchase's checkout."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from live.auth import COOKIE_NAME
from tests.e2e.conftest import PHONE, OpenPage, base_url
from tests.helpers import Actor

WAIT_MS = 20000
HAS_PICTURE = "(() => { const v = document.querySelector('video#player'); " \
              "return v.readyState >= 2 && v.videoWidth > 0; })()"
HOST_PASSWORD = "host-password-1"  # tests.helpers.Api.host
FRAMES = "__framesShown"  # the test's own count of the player's frames (the page keeps none for tests)


async def count_video_frames(page: Any) -> int:
    """The frames the watch page's video element has shown since this was first called on the page: counted
    by the test from the element's requestVideoFrameCallback."""
    return int(await page.evaluate(f"""() => {{
        if (window.{FRAMES} === undefined) {{
            const video = document.querySelector('video#player');
            window.{FRAMES} = 0;
            const tick = () => {{ window.{FRAMES} += 1; video.requestVideoFrameCallback(tick); }};
            video.requestVideoFrameCallback(tick);
        }}
        return window.{FRAMES};
    }}"""))


async def sign_in(page: Any, actor: Actor, password: str) -> None:
    await page.fill("#login-email", actor.user["email"])
    await page.fill("#login-password", password)
    await page.click("[data-testid=login-submit]")


async def text_of(page: Any, selector: str) -> str:
    return str(await page.text_content(selector, timeout=10000)).strip()


async def wait_text(page: Any, selector: str, text: str, timeout_ms: int = 15000) -> None:
    await page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return e && e.textContent.trim() === t; }",
        arg=[selector, text], timeout=timeout_ms)


def offer_row(offer_id: str) -> str:
    return f"[data-testid=offer][data-offer-id='{offer_id}']"


async def counters(page: Any, offer_id: str) -> dict[str, int]:
    row = offer_row(offer_id)
    return {k: int(await text_of(page, f"{row} [data-testid={k}]")) for k in ("sold", "reserved", "remaining")}


async def wait_counters(page: Any, offer_id: str, sold: int, reserved: int, remaining: int) -> None:
    row = offer_row(offer_id)
    await page.wait_for_function(
        """([row, want]) => ['sold', 'reserved', 'remaining'].every(
             (k) => document.querySelector(`${row} [data-testid=${k}]`)?.textContent === String(want[k]))""",
        arg=[row, {"sold": sold, "reserved": reserved, "remaining": remaining}], timeout=15000)


async def viewer_page(open_page: OpenPage, client: Any, show_id: str, viewer: Actor | None = None,
                      viewport: dict[str, int] = PHONE) -> Any:
    """The watch page in its own browser (own cookies); signed in as ``viewer`` with the cookie the API sets."""
    url = f"{base_url(client)}/watch/{show_id}"
    page = await open_page(url, viewport=viewport, locale="en-US")
    if viewer is not None:
        await page.context.add_cookies([{"name": COOKIE_NAME, "value": viewer.token, "url": base_url(client),
                                         "httpOnly": True, "sameSite": "Strict"}])
        await page.reload()
    await expect(page.get_by_test_id("show-title")).not_to_have_text("Loading…")
    return page


async def checkout(page: Any, name: str, payment: str = "pm_card_visa") -> None:
    """The first tap: the checkout dialog asks once, then the order is placed."""
    dialog = page.locator("dialog[data-testid=checkout]")
    await expect(dialog).to_be_visible()
    await page.fill("#checkout-name", name)
    await page.fill("#checkout-line1", "12 Harbour Street")
    await page.fill("#checkout-city", "Bristol")
    await page.fill("#checkout-postcode", "BS1 4QA")
    await page.fill("#checkout-country", "gb")
    await page.select_option("select#checkout-payment", payment)
    await page.click("button[data-testid=checkout-submit]")
    await expect(dialog).to_be_hidden()
