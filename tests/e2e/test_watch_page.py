"""The viewer's watch page in real Chromium against the real app: the upcoming state turning live without a
reload, the card and one-tap buying on a phone, two viewers racing for the last unit, chat moderation and
reactions, a declined card, and the embeddable player on another site. The host's side is driven through the
HTTP API and the test publisher page (fake camera over WHIP)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from live.auth import COOKIE_NAME
from live.config import Settings
from tests.conftest import free_port, make_settings
from tests.e2e.conftest import DESKTOP, OpenPage, base_url
from tests.e2e.flows import FRAMES, HAS_PICTURE, WAIT_MS, checkout, count_video_frames, viewer_page
from tests.helpers import Actor, Api, eventually
from tests.services import Services

EMBED_PORT = free_port()
EMBED_ORIGIN = f"http://localhost:{EMBED_PORT}"


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    """Listens on ``settings.port`` (sandbox payment webhooks) and lets the embed test's site frame /watch."""
    return make_settings(services, tmp_path / "data", production_limits=True, port=free_port(),
                         embed_allowed_origins=[EMBED_ORIGIN])


async def go_on_air(browser: Any, client: TestClient, show_id: str, host: Actor) -> Any:
    """The host's camera over WHIP from the test publisher page (the show must be live)."""
    studio = await browser.new_page()
    await studio.goto(f"{base_url(client)}/e2e/publish.html?show={show_id}&token={host.token}")
    await studio.wait_for_function("window.published || window.failure", timeout=WAIT_MS)
    assert await studio.evaluate("window.failure || null") is None
    return studio


async def live_with_card(api: Api, stock: int = 5, limit: int = 3) -> tuple[Actor, Actor, dict, dict]:
    """A live show hosted by a host with one discounted offer: (merchant, host, show, offer)."""
    owner = await api.merchant("Sole Shop")
    host = await api.host(owner, "Maya")
    base = str(api.client.make_url("")).rstrip("/")
    product = await api.product(owner, title="Cloud Runner sneakers", price_cents=4999, inventory=50,
                                image_url=f"{base}/e2e/sneaker.svg")
    show = await api.show(owner, host, title="Sneaker drop: spring colours")
    offer = await api.offer(owner, show["id"], product["id"], price_cents=2999, stock=stock, per_buyer_limit=limit)
    await api.call("POST", f"/api/shows/{show['id']}/start", host, expect=200)
    return owner, host, show, offer


async def push_card(api: Api, host: Actor, show: dict, offer: dict, **fields: Any) -> None:
    await api.call("POST", f"/api/shows/{show['id']}/cards", host, json={"offer_id": offer["id"], **fields},
                   expect=201)


async def show_orders(api: Api, owner: Actor, show_id: str) -> list[dict]:
    _, body = await api.call("GET", f"/api/shows/{show_id}/orders", owner, expect=200)
    return list(body["orders"])


async def test_upcoming_countdown_and_calendar_then_live_without_reload(
        api: Api, client: TestClient, browser: Any, open_page: OpenPage, shot: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    owner = await api.merchant("Sole Shop")
    host = await api.host(owner, "Maya")
    show = await api.show(owner, host, title="Friday drop")
    page = await viewer_page(open_page, client, show["id"])
    whep_posts: list[str] = []

    def on_request(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/whep"):
            whep_posts.append(request.url)

    page.on("request", on_request)

    upcoming = page.get_by_test_id("upcoming")
    await expect(upcoming).to_be_visible()
    await expect(page.get_by_test_id("show-state")).to_have_text("Upcoming")
    await expect(upcoming.get_by_test_id("countdown")).to_have_text(
        # an hour ahead: "Starts in 59:59" or "Starts in 1h 00m 00s" (page time runs from the API call)
        re.compile(r"^Starts in (59:\d\d|1h 00m \d\ds)$"))
    first = await upcoming.get_by_test_id("countdown").text_content()
    await page.wait_for_timeout(1100)
    assert await upcoming.get_by_test_id("countdown").text_content() != first, "the countdown ticks"
    link = upcoming.locator("a[data-testid=calendar-link]")
    href = await link.get_attribute("href")
    assert href and href.startswith("data:text/calendar")
    ics = unquote(href.split(",", 1)[1])
    assert "SUMMARY:Friday drop" in ics and f"/watch/{show['id']}" in ics and "DTSTART:" in ics
    assert (await link.get_attribute("download") or "").endswith(".ics")
    feed = await upcoming.locator("a[data-testid=calendar-feed]").get_attribute("href")
    _status, calendar = await api.call("GET", feed or "", expect=200)
    assert f"{show['id']}@live-shopping" in calendar, "the merchant's feed lists the show under the same UID"
    await shot(page, "upcoming")
    await page.wait_for_timeout(1000)
    assert whep_posts == [], "no WHEP offer before the show is live"

    started = time.monotonic()
    await api.call("POST", f"/api/shows/{show['id']}/start", host, expect=200)
    await expect(upcoming).to_be_hidden()
    await expect(page.get_by_test_id("show-state")).to_have_text("LIVE")
    studio = await go_on_air(browser, client, show["id"], host)
    await page.wait_for_function(HAS_PICTURE, timeout=WAIT_MS)
    picture_s = time.monotonic() - started
    assert len(whep_posts) >= 1
    assert await page.evaluate("location.href") == f"{base_url(client)}/watch/{show['id']}", "no reload"
    await expect(page.get_by_test_id("unmute")).to_have_text("Tap to unmute")
    await page.get_by_test_id("unmute").click()
    assert await page.evaluate("document.querySelector('video#player').muted") is False
    await expect(page.get_by_test_id("unmute")).to_have_attribute("aria-pressed", "true")
    await shot(page, "live")
    with capsys.disabled():
        print("\n" + json.dumps({"test": "watch", "start_to_decoded_video_s": round(picture_s, 2)}))

    # The host's video drops (the show stays live): an off-air overlay; back on air, the same viewing session
    # resumes at the new publisher's pictures.
    await studio.evaluate("window.session.stop()")
    await expect(page.get_by_test_id("paused")).to_be_visible()
    await expect(page.get_by_test_id("show-state")).to_have_text("Off air")
    await shot(page, "off-air")
    await studio.reload()
    await studio.wait_for_function("window.published || window.failure", timeout=WAIT_MS)
    await expect(page.get_by_test_id("paused")).to_be_hidden()
    await expect(page.get_by_test_id("show-state")).to_have_text("LIVE")
    frames = await count_video_frames(page)
    await page.wait_for_function(f"window.{FRAMES} > {frames + 10}", timeout=WAIT_MS)

    await api.call("POST", f"/api/shows/{show['id']}/end", host, expect=200)
    await expect(page.get_by_test_id("ended")).to_be_visible()
    await expect(page.get_by_test_id("show-state")).to_have_text("Ended")


async def test_phone_card_first_tap_checkout_then_one_tap(
        api: Api, client: TestClient, browser: Any, open_page: OpenPage, shot: Any) -> None:
    owner, host, show, offer = await live_with_card(api, stock=5, limit=3)
    await go_on_air(browser, client, show["id"], host)
    page = await viewer_page(open_page, client, show["id"])
    await page.wait_for_function(HAS_PICTURE, timeout=WAIT_MS)
    await expect(page.get_by_test_id("card")).to_be_hidden()
    await api.call("POST", f"/api/shows/{show['id']}/chat", host, json={"text": "Welcome in! 20 pairs today"},
                   expect=201)
    fan = await api.viewer("Jo")
    await api.call("POST", f"/api/shows/{show['id']}/chat", fan, json={"text": "Do they run true to size?"},
                   expect=201)

    await push_card(api, host, show, offer)
    card = page.get_by_test_id("card")
    await expect(card).to_be_visible()
    await expect(card.get_by_test_id("card-title")).to_have_text("Cloud Runner sneakers")
    await expect(card.get_by_test_id("card-price")).to_have_text("$29.99")
    await expect(card.get_by_test_id("card-list-price")).to_have_text("$49.99")
    remaining = card.get_by_test_id("card-remaining")
    await expect(remaining).to_have_text("Only 5 left")
    await expect(remaining).to_have_attribute("data-remaining", "5")
    await expect(page.get_by_test_id("chat-message")).to_have_count(2)
    await expect(page.locator(f"[data-testid=lineup-item][data-offer-id='{offer['id']}']")).to_have_count(1)
    await shot(page, "phone-live-card")

    status = page.get_by_test_id("order-status")
    await page.get_by_test_id("buy").click()
    await checkout(page, "Alex")
    await expect(status).to_have_attribute("data-status", re.compile("^(reserved|paid)$"))
    await shot(page, "reserved")
    await expect(status).to_have_attribute("data-status", "paid")
    await expect(status).to_have_text("Paid ✓")
    await expect(remaining).to_have_text("Only 4 left")
    await shot(page, "paid")

    await page.get_by_test_id("buy").click()
    await expect(status).to_have_attribute("data-status", "paid")
    assert not await page.locator("dialog[data-testid=checkout]").is_visible(), "a later tap is one tap"
    await expect(remaining).to_have_text("Only 3 left")

    orders = await show_orders(api, owner, show["id"])
    assert len(orders) == 2 and len({o["id"] for o in orders}) == 2, "each tap placed its own order"
    assert {o["status"] for o in orders} == {"paid"} and len({o["buyer_id"] for o in orders}) == 1
    assert orders[0]["buyer"]["shipping_address"]["country"] == "GB"

    # The limit is 3 a buyer: the third tap buys, the fourth is refused.
    await page.get_by_test_id("buy").click()
    await expect(remaining).to_have_text("Only 2 left")
    await expect(status).to_have_attribute("data-status", "paid")
    await page.get_by_test_id("buy").click()
    await expect(status).to_have_attribute("data-status", "limit_reached")
    await expect(status).to_have_text("Limit reached")
    assert len(await show_orders(api, owner, show["id"])) == 3

    # A flash deal: the card counts down to its end.
    await api.call("POST", f"/api/shows/{show['id']}/offers/{offer['id']}/deal", host,
                   json={"duration_seconds": 120}, expect=200)
    deal = card.get_by_test_id("deal-countdown")
    await expect(deal).to_be_visible()
    await expect(deal).to_have_text(re.compile(r"^Flash deal ends in (2:00|1:5\d)$"))
    await shot(page, "flash-deal")

    # Someone else buys: the count falls on this page without a reload.
    other = await api.viewer("Sam")
    status_code, _ = await api.tap(other, show["id"], offer["id"])
    assert status_code == 201
    await expect(remaining).to_have_text("Only 1 left")
    await expect(remaining).to_have_attribute("data-remaining", "1")


async def test_two_viewers_race_for_the_last_unit(api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    owner, host, show, offer = await live_with_card(api, stock=1, limit=1)
    await push_card(api, host, show, offer)
    pages = [await viewer_page(open_page, client, show["id"], await api.viewer(name)) for name in ("Ana", "Ben")]
    for page in pages:
        await expect(page.get_by_test_id("card-remaining")).to_have_text("Only 1 left")
        await expect(page.get_by_test_id("buy")).to_be_enabled()

    # Both tap at once (DOM clicks in the same moment; a Playwright click would wait for the button).
    await asyncio.gather(*(p.evaluate("document.querySelector('[data-testid=buy]').click()") for p in pages))
    statuses = []
    for page in pages:
        status = page.get_by_test_id("order-status")
        await expect(status).to_have_attribute("data-status", re.compile("^(paid|sold_out)$"))
        statuses.append(await status.get_attribute("data-status"))
    assert sorted(statuses) == ["paid", "sold_out"], statuses
    loser = pages[statuses.index("sold_out")]
    await expect(loser.get_by_test_id("order-status")).to_have_text("Sold out")
    await expect(loser.get_by_test_id("buy")).to_be_disabled()
    for page in pages:
        await expect(page.get_by_test_id("card-remaining")).to_have_attribute("data-remaining", "0")
    await shot(loser, "sold-out")
    await shot(pages[statuses.index("paid")], "winner")
    assert len(await show_orders(api, owner, show["id"])) == 1


async def test_chat_name_prompt_host_removes_message_and_reactions_float(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    owner, host, show, offer = await live_with_card(api)
    page = await viewer_page(open_page, client, show["id"])

    # An anonymous watcher writes: asked for a name once, then the message goes out as that viewer.
    await page.fill("#chat-input", "Is the pink one back?")
    await page.click("button[data-testid=chat-send]")
    await expect(page.locator("dialog[data-testid=name-dialog]")).to_be_visible()
    await page.fill("#name-input", "Kim")
    await page.click("button[data-testid=name-submit]")
    message = page.locator("[data-testid=chat-message]", has_text="Is the pink one back?")
    await expect(message).to_have_count(1)
    await expect(message).to_contain_text("Kim")
    await expect(page.locator("#chat-input")).to_have_value("")
    message_id = await message.get_attribute("data-message-id")
    viewer_id = await page.evaluate("fetch('/api/me').then(r => r.json()).then(u => u.id)")

    # Untrusted text stays text (after the server's pause between one viewer's messages).
    await page.wait_for_timeout(1100)
    await page.fill("#chat-input", "<img src=x onerror=alert(1)>")
    await page.press("#chat-input", "Enter")
    await expect(page.locator("[data-testid=chat-message]", has_text="<img src=x onerror=alert(1)>")).to_have_count(1)
    assert await page.locator("[data-testid=chat-list] img").count() == 0

    await api.call("DELETE", f"/api/shows/{show['id']}/chat/{message_id}", host, expect=204)
    await expect(page.locator(f"[data-testid=chat-message][data-message-id='{message_id}']")).to_have_count(0)

    # The chatter buys: the checkout completes the same viewer (name kept) instead of making a new one.
    await push_card(api, host, show, offer)
    await page.get_by_test_id("buy").click()
    await expect(page.locator("#checkout-name")).to_have_value("Kim")
    await checkout(page, "Kim")
    await expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    orders = await show_orders(api, owner, show["id"])
    assert [o["buyer"]["display_name"] for o in orders] == ["Kim"]
    assert orders[0]["buyer_id"] == viewer_id

    # A heart floats up at once for the sender, and from the room's per-second sum for everyone else.
    watcher = await viewer_page(open_page, client, show["id"])
    await expect(watcher.locator("body")).to_have_attribute("data-room", "joined")
    await page.click("button[data-testid=react-heart]")
    await page.wait_for_selector(".floating-reaction[data-kind=heart]", state="attached", timeout=WAIT_MS)
    await watcher.wait_for_selector(".floating-reaction[data-kind=heart]", state="attached", timeout=WAIT_MS)
    await shot(page, "reaction")

    # The host mutes the viewer: the next message is refused inline.
    await api.call("POST", f"/api/shows/{show['id']}/moderation", host, json={"user_id": viewer_id, "action": "mute"},
                   expect=200)
    await page.wait_for_timeout(1100)
    await page.fill("#chat-input", "hello?")
    await page.click("button[data-testid=chat-send]")
    await expect(page.get_by_test_id("chat-error")).to_have_text("The host muted you in this show.")


async def test_a_dead_cookie_is_dropped_and_the_page_watches_anonymously(
        api: Api, client: TestClient, open_page: OpenPage) -> None:
    _owner, host, show, offer = await live_with_card(api)
    await push_card(api, host, show, offer)
    expired = Actor(host.token[:-4] + "AAAA", host.user)  # a token whose signature does not verify
    page = await viewer_page(open_page, client, show["id"], expired)
    await expect(page.get_by_test_id("card-title")).to_have_text("Cloud Runner sneakers")
    await expect(page.locator("body")).to_have_attribute("data-room", "joined")
    assert not [c for c in await page.context.cookies() if c["name"] == COOKIE_NAME]


async def test_declined_card_shows_payment_declined_and_the_unit_comes_back(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    owner, host, show, offer = await live_with_card(api, stock=3)
    await push_card(api, host, show, offer)
    page = await viewer_page(open_page, client, show["id"], viewport=DESKTOP)
    remaining = page.get_by_test_id("card-remaining")
    await expect(remaining).to_have_text("Only 3 left")
    await page.get_by_test_id("buy").focus()  # from the keyboard
    await page.keyboard.press("Enter")
    await checkout(page, "Lee", payment="pm_card_declined")
    await expect(page.get_by_test_id("buy")).to_be_focused()  # the dialog hands focus back
    status = page.get_by_test_id("order-status")
    await expect(status).to_have_attribute("data-status", "payment_failed")
    await expect(status).to_have_text("Payment declined")
    await expect(remaining).to_have_text("Only 3 left")
    await shot(page, "declined")
    orders = await show_orders(api, owner, show["id"])
    assert [o["status"] for o in orders] == ["payment_failed"]


async def test_embedded_player_on_another_site(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any, settings: Settings) -> None:
    owner, host, show, offer = await live_with_card(api)
    await push_card(api, host, show, offer)
    server = base_url(client)

    # The watch page says who may frame it.
    async with client.session.get(f"{server}/watch/{show['id']}") as response:
        policy = response.headers["Content-Security-Policy"]
    assert policy == f"frame-ancestors 'self' {EMBED_ORIGIN}"
    assert "http://evil.example" not in policy and "*" not in policy
    async with client.session.get(f"{server}/studio/{show['id']}") as response:
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"

    # The merchant's site: another site for the browser (localhost vs 127.0.0.1), so the page's SameSite
    # cookie is not sent into the frame and the player relies on its own bearer token.
    async def shop(request: web.Request) -> web.Response:
        return web.Response(content_type="text/html", text=(
            "<!doctype html><html lang=en><head><meta charset=utf-8><link rel=icon href='data:,'>"
            "<title>Sole Shop</title></head><body><h1>Sole Shop</h1>"
            f"<script src='{server}/embed.js' data-show='{show['id']}' data-height='760' async></script>"
            "</body></html>"))

    site = web.Application()
    site.router.add_get("/", shop)
    runner = web.AppRunner(site)
    await runner.setup()
    await web.TCPSite(runner, "localhost", EMBED_PORT).start()
    try:
        page = await open_page(f"{EMBED_ORIGIN}/", viewport={"width": 500, "height": 900}, locale="en-US")
        iframe = page.locator("iframe")
        await expect(iframe).to_have_attribute("src", f"{server}/watch/{show['id']}?embed=1")
        await expect(iframe).to_have_attribute("allow", "autoplay; fullscreen")
        assert await iframe.get_attribute("title")
        frame = page.frame_locator("iframe")
        await expect(frame.get_by_test_id("show-title")).to_have_text("Sneaker drop: spring colours")
        await expect(frame.get_by_test_id("card-title")).to_have_text("Cloud Runner sneakers")
        assert "embed" in (await frame.locator("body").get_attribute("class") or "")

        # Buying inside the frame: registration gives a token kept in the frame's session storage; the
        # socket reconnects with it (the order event) and the next tap is one tap.
        await frame.get_by_test_id("buy").click()
        inner = page.frames[1]
        await checkout(inner, "Nia")
        status = frame.get_by_test_id("order-status")
        await expect(status).to_have_attribute("data-status", "paid")
        await frame.locator("#chat-input").fill("Buying from the shop's site!")
        await frame.get_by_test_id("chat-send").click()
        await expect(frame.locator("[data-testid=chat-message]", has_text="from the shop's site")).to_have_count(1)
        await shot(page, "embedded")
        orders = await eventually(lambda: show_orders(api, owner, show["id"]))
        assert [o["buyer"]["display_name"] for o in orders] == ["Nia"]
    finally:
        await runner.cleanup()


SMALL_PHONE = {"width": 360, "height": 740}
OVERFLOWS = """(dialog) => {
    const width = document.documentElement.clientWidth;
    const wide = [document.documentElement, dialog, ...dialog.querySelectorAll('*')]
        .filter((node) => node.clientWidth > 0 && node.scrollWidth > node.clientWidth)
        .map((node) => `${node.tagName.toLowerCase()}#${node.id} scrolls ${node.scrollWidth} > ${node.clientWidth}`);
    const out = [...dialog.querySelectorAll('input, select, button, summary, label')]
        .map((node) => [node, node.getBoundingClientRect()])
        .filter(([, box]) => box.width > 0 && (box.left < 0 || box.right > width))
        .map(([node, box]) => `${node.tagName.toLowerCase()}#${node.id} spans ${box.left}..${box.right} of ${width}`);
    return [...wide, ...out];
}"""


async def test_phone_checkout_fits_a_360px_screen(api: Api, client: TestClient, open_page: OpenPage,
                                                  shot: Any) -> None:
    _, host, show, offer = await live_with_card(api)
    page = await viewer_page(open_page, client, show["id"], viewport=SMALL_PHONE)
    await push_card(api, host, show, offer)
    await page.get_by_test_id("buy").click()
    dialog = page.locator("dialog[data-testid=checkout]")
    await expect(dialog).to_be_visible()
    await page.locator("[data-testid=checkout-save-login] summary").click()  # every field on screen
    await expect(page.locator("#checkout-password")).to_be_visible()
    await shot(page, "checkout-360")
    assert await dialog.evaluate(OVERFLOWS) == []
