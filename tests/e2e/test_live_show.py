"""A whole show across the real pages in one Chromium: the host in the studio (desktop), a viewer on the
watch page (phone). The host goes live and the viewer's page decodes the video (the time from the click is
printed and recorded), the host pushes a card from the studio, the viewer buys it with the first-purchase
checkout, both pages' counters move without a reload, and a chat message the host deletes in the studio
disappears from the viewer's page.

With ``LIVE_README_SCREENSHOTS=1`` the test also writes the two README pictures (docs/screenshots/)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from live.realtime.chat import MIN_INTERVAL_SECONDS
from tests.e2e.conftest import DESKTOP, PHONE, OpenPage, base_url
from tests.e2e.flows import HAS_PICTURE, HOST_PASSWORD, WAIT_MS, checkout, offer_row, sign_in, wait_counters, wait_text
from tests.helpers import Api

README_SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


async def test_host_goes_live_sells_and_moderates_while_a_phone_viewer_watches_buys_and_chats(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any, record_property: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    base = base_url(client)
    owner = await api.merchant("Sole Shop")
    host = await api.host(owner, "Maya")
    product = await api.product(owner, title="Cloud Runner sneakers", price_cents=4999, inventory=20,
                                image_url=f"{base}/e2e/sneaker.svg")
    show = await api.show(owner, host, title="Sneaker drop: spring colours")
    offer = await api.offer(owner, show["id"], product["id"], price_cents=2999, stock=3, per_buyer_limit=2)

    # The viewer is waiting on the show's link before it starts; the host signs in to the studio.
    viewer = await open_page(f"{base}/watch/{show['id']}", viewport=PHONE, locale="en-US")
    await expect(viewer.get_by_test_id("upcoming")).to_be_visible()
    studio = await open_page(f"{base}/studio/{show['id']}", viewport=DESKTOP, locale="en-US")
    await sign_in(studio, host, HOST_PASSWORD)
    await studio.wait_for_function("document.querySelector('#preview')?.videoWidth > 0", timeout=WAIT_MS)

    # 2. Go live with the fake camera: the phone's page turns live by itself and shows decoded video.
    clicked = time.monotonic()
    await studio.click("[data-testid=go-live]")
    await viewer.wait_for_function(HAS_PICTURE, timeout=WAIT_MS)
    click_to_picture_ms = round((time.monotonic() - clicked) * 1000)
    record_property("go_live_click_to_phone_picture_ms", click_to_picture_ms)
    with capsys.disabled():
        print("\n" + json.dumps({"test": "live_show", "go_live_click_to_phone_picture_ms": click_to_picture_ms}))
    await expect(viewer.get_by_test_id("upcoming")).to_be_hidden()
    await wait_text(studio, "[data-testid=show-state]", "live")
    await studio.wait_for_selector("[data-testid=connection-state][data-state=connected]", timeout=WAIT_MS)
    await shot(viewer, "phone-live")

    # 3. The host pushes the card; the phone shows it with the show price and the stock.
    await studio.click(f"{offer_row(offer['id'])} [data-testid=push-card]")
    card = viewer.get_by_test_id("card")
    await expect(card).to_be_visible()
    await expect(viewer.get_by_test_id("card-title")).to_have_text("Cloud Runner sneakers")
    await expect(viewer.get_by_test_id("card-price")).to_have_text("$29.99")
    await expect(viewer.get_by_test_id("card-list-price")).to_have_text("$49.99")
    await expect(viewer.get_by_test_id("card-remaining")).to_have_attribute("data-remaining", "3")
    await wait_counters(studio, offer["id"], sold=0, reserved=0, remaining=3)

    # The first tap asks once for name, address and card; the order is reserved, then paid (the sandbox's
    # asynchronous card is confirmed by its webhook about a second later, so both states are seen).
    await viewer.get_by_test_id("buy").click()
    await checkout(viewer, "Alex", payment="pm_card_async")
    status = viewer.get_by_test_id("order-status")
    await expect(status).to_have_attribute("data-status", "reserved")
    await wait_counters(studio, offer["id"], sold=0, reserved=1, remaining=2)
    await shot(viewer, "phone-reserved")
    await expect(status).to_have_attribute("data-status", "paid", timeout=WAIT_MS)
    await expect(viewer.get_by_test_id("card-remaining")).to_have_attribute("data-remaining", "2")
    await wait_counters(studio, offer["id"], sold=1, reserved=0, remaining=2)
    _, orders = await api.call("GET", f"/api/shows/{show['id']}/orders", owner, expect=200)
    (order,) = orders["orders"]
    assert order["status"] == "paid" and order["quantity"] == 1
    ticker = studio.locator(f"[data-testid=orders] [data-testid=order][data-order-id='{order['id']}']")
    await expect(ticker).to_have_attribute("data-status", "paid")
    await expect(ticker).to_contain_text("Alex")

    # 5. The viewer writes; the host sees it and deletes it in the studio; it disappears on the phone.
    for text in ("Do they run true to size?", "Buying a second pair!"):
        await viewer.fill("#chat-input", text)
        await viewer.click("button[data-testid=chat-send]")
        await expect(viewer.locator("[data-testid=chat-message]", has_text=text)).to_have_count(1)
        await viewer.wait_for_timeout(MIN_INTERVAL_SECONDS * 1000 + 100)  # a viewer's chat rate limit
    in_studio = studio.locator("[data-testid=chat-message]", has_text="Do they run true to size?")
    await expect(in_studio).to_have_count(1)
    message_id = await in_studio.get_attribute("data-message-id")
    await studio.fill("#chat-input", "Yes, true to size!")
    await studio.click("button[data-testid=chat-send]")
    await expect(viewer.locator("[data-testid=chat-message]", has_text="Yes, true to size!")).to_have_count(1)
    await viewer.click("button[data-testid=react-heart]")
    await shot(viewer, "phone-live-card")
    await shot(studio, "studio-live")
    if os.environ.get("LIVE_README_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        await viewer.screenshot(path=str(README_SHOTS / "watch-phone.png"))
        await studio.screenshot(path=str(README_SHOTS / "studio.png"))

    await studio.click(f"[data-testid=chat-message][data-message-id='{message_id}'] [data-testid=delete-message]")
    await expect(in_studio).to_have_count(0)
    await expect(viewer.locator(f"[data-testid=chat-message][data-message-id='{message_id}']")).to_have_count(0)
    await expect(viewer.locator("[data-testid=chat-message]", has_text="Buying a second pair!")).to_have_count(1)
    await shot(viewer, "phone-message-removed")
