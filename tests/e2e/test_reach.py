"""Reach in real Chromium: a viewer on a phone opens an affiliate's /r/ link, buys in the live show, and the
affiliate sees the order and the pending commission on /affiliate; the merchant sees the source in the
show's results; the discovery home page and a product page work on a phone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from live.config import Settings
from tests.conftest import free_port, make_settings
from tests.e2e.conftest import DESKTOP, PHONE, OpenPage, base_url
from tests.e2e.flows import checkout
from tests.e2e.test_watch_page import live_with_card, push_card
from tests.helpers import Api
from tests.reach.reach import affiliate
from tests.services import Services, create_database, drop_database, migrate_to_head


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Iterator[Settings]:
    """A database of its own: the home page lists every show there is, and only this test's belong here."""
    url = create_database("reach", tmp_path)
    asyncio.run(migrate_to_head(url))
    yield make_settings(services, tmp_path / "data", port=free_port(), database_url=url)
    drop_database(url)


async def test_affiliate_link_to_paid_order_to_commission_and_source(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    base = base_url(client)
    owner, host, show, offer = await live_with_card(api, stock=5, limit=3)  # show price 29.99
    aff, account = await affiliate(api, owner, percent=10, per_new_buyer_cents=500, name="Rae")

    page = await open_page(f"{base}/r/{aff['code']}?show={show['id']}&utm_source=insta", viewport=PHONE,
                           locale="en-US")
    assert urlsplit(page.url).path == f"/watch/{show['id']}", "the link leads to the show"
    await expect(page.get_by_test_id("show-title")).to_have_text("Sneaker drop: spring colours")
    await push_card(api, host, show, offer)
    card = page.get_by_test_id("card")
    await expect(card).to_be_visible()
    await page.get_by_test_id("buy").click()
    await checkout(page, "Sam")
    status = page.get_by_test_id("order-status")
    await expect(status).to_have_attribute("data-status", "paid", timeout=20000)
    await shot(page, "paid-through-affiliate")

    mine = await open_page(f"{base}/affiliate", viewport=PHONE)
    await mine.fill("#login-email", account.user["email"])
    await mine.fill("#login-password", "affiliate-pass-1")
    await mine.click("[data-testid=login-submit]")
    # 10% of 29.99 (2.99, rounded down) and the new buyer's 5.00; the ledger entry follows the payment.
    for _ in range(30):
        await expect(mine.get_by_test_id("orders")).to_be_visible()
        if (await mine.get_by_test_id("pending").text_content() or "").startswith("7.99"):
            break
        await mine.wait_for_timeout(500)
        await mine.reload()
    await expect(mine.get_by_test_id("pending")).to_contain_text("7.99")
    await expect(mine.locator("[data-testid=orders] tbody tr")).to_have_count(1)
    await expect(mine.locator("[data-testid=orders] tbody tr")).to_contain_text("paid")
    await expect(mine.get_by_test_id("buyers")).to_contain_text("1")
    await expect(mine.get_by_test_id("clicks")).to_contain_text("1")
    _, results = await api.call("GET", f"/api/shows/{show['id']}/results", owner, expect=200)
    (row,) = [r for r in results["by_source"] if r["source"] == aff["code"]]
    assert row["viewers"] >= 1 and (row["orders"], row["buyers"]) == (1, 1)
    # The page counts what the results count (a watcher who signs up at checkout is, as in unique_viewers,
    # one anonymous visitor and one account).
    await expect(mine.get_by_test_id("viewers").locator("strong")).to_have_text(str(row["viewers"]))
    await expect(mine.locator("[data-testid=links]")).to_contain_text(f"/r/{aff['code']}?show={show['id']}")
    await shot(mine, "affiliate-page")

    dashboard = await open_page(f"{base}/merchant#shows/{show['id']}", DESKTOP)
    await dashboard.fill("#login-email", owner.user["email"])
    await dashboard.fill("#login-password", "correct-horse-1")
    await dashboard.click("[data-testid=login-submit]")
    source = dashboard.locator(f"[data-testid=result-source][data-source='{aff['code']}']")
    await expect(source).to_contain_text("Rae")
    await expect(source.get_by_test_id("result-source-orders")).to_have_text("1")
    insta = dashboard.locator("[data-testid=result-source][data-source='insta']")
    await expect(insta.get_by_test_id("result-source-orders")).to_have_text("1")
    await source.scroll_into_view_if_needed()
    await shot(dashboard, "results-by-source")


async def test_discovery_home_and_product_page_on_a_phone(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    base = base_url(client)
    owner, host, show, offer = await live_with_card(api)
    await push_card(api, host, show, offer)
    later = await api.show(owner, host, title="Next week's boots")

    home = await open_page(f"{base}/", viewport=PHONE)
    live_tile = home.locator(f"[data-testid=live-shows] [data-show-id='{show['id']}']")
    await expect(live_tile).to_contain_text("Sneaker drop: spring colours")
    await expect(live_tile.get_by_test_id("live-card")).to_contain_text("Cloud Runner sneakers · $29.99")
    await expect(live_tile.get_by_test_id("viewers")).to_have_text(re.compile(r"^\d+ watching$"))
    upcoming = home.locator(f"[data-testid=upcoming-shows] [data-show-id='{later['id']}']")
    await expect(upcoming.get_by_test_id("countdown")).to_have_text(re.compile(r"^starts in "))
    href = await upcoming.get_by_role("link", name="Add to calendar").get_attribute("href")
    assert href and href.startswith("data:text/calendar")
    width = await home.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing wider than the phone"
    await shot(home, "discovery")
    await live_tile.locator("a.cover").click()
    await home.wait_for_url(f"{base}/watch/{show['id']}")

    product = await open_page(f"{base}/p/{offer['product_id']}", viewport=PHONE)
    await expect(product.get_by_test_id("price")).to_have_text("49.99 USD")
    await expect(product.get_by_test_id("featured-show")).to_contain_text("Watch and buy")
    await shot(product, "product-page")


async def test_discovery_home_says_when_the_server_refuses(
        api: Api, client: TestClient, open_page: OpenPage) -> None:
    *_, show, _ = await live_with_card(api)
    home = await open_page(f"{base_url(client)}/", viewport=PHONE)
    await expect(home.locator(f"[data-show-id='{show['id']}']")).to_have_count(1)
    refused = {"error": {"code": "rate_limited", "message": "Too many requests: try again in a minute."}}
    await home.route("**/api/discover", lambda route: route.fulfill(status=429, json=refused))
    await home.reload()
    await expect(home.get_by_role("alert")).to_have_text("Too many requests: try again in a minute.")
    await home.unroute("**/api/discover")
    await home.reload()
    await expect(home.locator(f"[data-show-id='{show['id']}']")).to_have_count(1)
    await expect(home.get_by_role("alert")).to_be_hidden()


async def test_merchant_adds_and_deactivates_an_affiliate_in_the_dashboard(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    owner = await api.merchant("Sole Shop")
    page = await open_page(f"{base_url(client)}/merchant#affiliates", DESKTOP)
    await page.fill("#login-email", owner.user["email"])
    await page.fill("#login-password", "correct-horse-1")
    await page.click("[data-testid=login-submit]")
    await page.fill("#affiliate-name", "Noor")
    await page.fill("#affiliate-email", "noor@example.com")
    await page.fill("#affiliate-password", "noor-password-1")
    await page.fill("#affiliate-percent", "7.5")
    await page.fill("#affiliate-lead", "250")
    await page.click("[data-testid=affiliate-add]")
    row = page.get_by_test_id("affiliate-row")
    await expect(row).to_contain_text("Noor")
    await expect(row).to_contain_text("7.5% + 2.50 per new buyer")
    _, listed = await api.call("GET", "/api/merchants/me/affiliates", owner, expect=200)
    (made,) = listed["affiliates"]
    assert made["commission"] | {"effective_at": None} == {"percent": 7.5, "per_new_buyer_cents": 250,
                                                           "effective_at": None}
    await expect(row.get_by_test_id("affiliate-link")).to_have_text(made["link"])
    await shot(page, "affiliates")
    await row.get_by_role("button", name="Deactivate").click()
    await expect(row).to_contain_text("inactive")
    _, listed = await api.call("GET", "/api/merchants/me/affiliates", owner, expect=200)
    assert listed["affiliates"][0]["active"] is False
