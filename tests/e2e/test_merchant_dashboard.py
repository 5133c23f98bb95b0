"""The merchant dashboard in real Chromium against the real app: a new merchant builds a show entirely through
the UI (checked afterwards through the HTTP API), and a show with real orders and real viewers shows its
results and chart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp.test_utils import TestClient

from tests.e2e.conftest import DESKTOP, OpenPage, base_url
from tests.helpers import Actor, Api, eventually, unique_email
from tests.realtime.conftest import Socket

CLIPBOARD = ["clipboard-read", "clipboard-write"]


async def fill_product(page: Any, sku: str, title: str, price: str, inventory: str, image: str = "") -> None:
    form = page.locator("form[data-testid=product-form]")
    await form.locator("#product-sku").fill(sku)
    await form.locator("#product-title").fill(title)
    await form.locator("#product-description").fill(f"{title} for the show.")
    await form.locator("#product-image").fill(image)
    await form.locator("#product-price").fill(price)
    await form.locator("#product-currency").select_option("USD")
    await form.locator("#product-inventory").fill(inventory)
    await form.locator("button[data-testid=product-save]").click()


async def add_offer(page: Any, product_title: str, price: str, stock: str, limit: str) -> None:
    form = page.locator("form[data-testid=offer-form]")
    option = form.locator("#offer-product option", has_text=product_title)
    await form.locator("#offer-product").select_option(await option.get_attribute("value"))
    await form.locator("#offer-price").fill(price)
    await form.locator("#offer-stock").fill(stock)
    await form.locator("#offer-limit").fill(limit)
    await form.locator("button[data-testid=offer-add]").click()


async def test_a_merchant_signs_up_and_builds_a_show_in_the_dashboard(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    base = base_url(client)
    email, password = unique_email("shop"), "dashboard-pass-1"
    host_email = unique_email("host")
    page = await open_page(f"{base}/merchant", DESKTOP, permissions=CLIPBOARD)

    await page.click("[data-testid=show-signup]")
    await page.fill("#signup-name", "Corner Shop")
    await page.fill("#signup-email", email)
    await page.fill("#signup-password", "short")
    await page.click("button[data-testid=signup-submit]")
    await page.locator("[data-testid=signup-error]", has_text="password").wait_for()
    await page.fill("#signup-password", password)
    await shot(page, "signup")
    await page.click("button[data-testid=signup-submit]")
    await page.locator("nav [data-testid=tab-products][aria-current=page]").wait_for()

    rows = page.locator("[data-testid=product-row]")
    await fill_product(page, "SNKR-1", "Court sneakers", "89.00", "40", f"{base}/static/img/demo/sneakers.svg")
    await rows.nth(0).wait_for()
    await fill_product(page, "BAG-2", "Canvas bag", "65.5", "25")
    await rows.nth(1).wait_for()
    await fill_product(page, "SNKR-1", "Duplicate", "1", "1")
    error = page.locator("[data-testid=product-error]")
    await error.filter(has_text="a product with this sku exists").wait_for()
    bag_row = page.locator("[data-testid=product-row]", has_text="Canvas bag")
    await bag_row.locator("button[data-testid=product-edit]").click()
    assert await page.input_value("#product-price") == "65.50"
    await page.fill("#product-price", "64.99")
    await page.click("button[data-testid=product-save]")
    await bag_row.filter(has_text="$64.99").wait_for()
    await fill_product(page, "CAP-3", "Cap", "12", "5")
    await page.locator("[data-testid=product-row]", has_text="Cap").wait_for()
    await fill_product(page, "HAT-4", "Old hat", "10", "1")
    hat_row = page.locator("[data-testid=product-row]", has_text="Old hat")
    await hat_row.locator("button[data-testid=product-archive]").click()
    await hat_row.filter(has_text="Archived").locator("button[data-testid=product-archive]",
                                                      has_text="Restore").wait_for()
    await shot(page, "products")

    await page.focus("[data-testid=tab-hosts]")  # the sections work from the keyboard
    await page.keyboard.press("Enter")
    await page.wait_for_function("document.activeElement.textContent === 'Hosts'")
    assert await page.evaluate("document.activeElement.tagName") == "H1", "focus moves to the new section"
    await page.fill("#host-name", "Ava")
    await page.fill("#host-email", host_email)
    await page.fill("#host-password", "host-password-1")
    await page.click("button[data-testid=host-invite]")
    await page.locator("[data-testid=host-row]", has_text="Ava").wait_for()
    await shot(page, "hosts")

    await page.click("[data-testid=tab-shows]")
    form = page.locator("form[data-testid=show-form]")
    await form.locator("#show-title").fill("Friday drops")
    await form.locator("#show-description").fill("New sneakers and bags.")
    await form.locator("#show-starts-at").fill("2031-05-02T19:30")
    await form.locator("select#show-host").select_option(label="Ava")
    await form.locator("button[data-testid=show-save]").click()
    detail = page.locator("[data-testid=show-detail]")
    await detail.wait_for()
    show_id = await detail.get_attribute("data-show-id")

    await add_offer(page, "Court sneakers", "59.00", "20", "2")
    await page.locator("[data-testid=offer-row]").nth(0).wait_for()
    await add_offer(page, "Canvas bag", "39", "26", "1")
    refusal = "stock is more than the product's free inventory"  # the API's message, shown in the form
    await page.locator("[data-testid=offer-error]", has_text=refusal).wait_for()
    await shot(page, "stock-above-inventory")
    await page.fill("#offer-stock", "10")
    await page.click("form[data-testid=offer-form] summary")
    await page.fill("#offer-sale-starts", "2031-05-02T19:45")
    await page.fill("#offer-sale-ends", "2031-05-02T20:00")
    await page.click("button[data-testid=offer-add]")
    await page.locator("[data-testid=offer-row]").nth(1).wait_for()
    assert await page.text_content("[data-testid=offer-error]") == ""
    options = await page.locator("#offer-product option").all_text_contents()
    assert len(options) == 1 and options[0].startswith("Cap"), "the lineup's and archived products are not offered"
    await add_offer(page, "Cap", "9.50", "5", "1")
    cap_row = page.locator("[data-testid=offer-row]", has_text="Cap")
    await cap_row.locator("button[data-testid=offer-remove]").click()
    await cap_row.wait_for(state="detached")
    assert await page.locator("[data-testid=offer-row]").count() == 2
    assert "Removed “Cap”" in await page.text_content("[data-testid=offer-status]")

    sneakers_row = page.locator("[data-testid=offer-row]", has_text="Court sneakers")
    await sneakers_row.locator("button[data-testid=offer-edit]").click()
    assert await page.input_value("#offer-price") == "59.00"
    await page.fill("#offer-price", "57")
    await page.fill("#offer-limit", "3")
    await page.click("button[data-testid=offer-add]")
    await sneakers_row.locator("[data-testid=offer-price]", has_text="$57.00").wait_for()
    assert await sneakers_row.locator("[data-testid=offer-limit]").text_content() == "3"

    edit = page.locator("form[data-testid=show-edit-form]")
    await edit.locator("#edit-show-title").fill("Friday night drops")
    await edit.locator("#edit-show-record").check()
    await edit.locator("button[data-testid=show-update]").click()
    await page.locator("[data-testid=show-detail] h1", has_text="Friday night drops").wait_for()

    await page.click("button[data-testid=copy-link]")
    await page.locator("[data-testid=copy-link-status]", has_text="Copied").wait_for()
    watch_url = f"{base}/watch/{show_id}"
    assert await page.evaluate("navigator.clipboard.readText()") == watch_url
    assert await page.input_value("[data-testid=share-link]") == watch_url
    assert await page.get_attribute("a[data-testid=open-studio]", "href") == f"/studio/{show_id}"
    assert await page.text_content("[data-testid=embed-snippet]") == \
        f'<script src="{base}/embed.js" data-show="{show_id}" async></script>'
    await shot(page, "show-with-lineup")

    # What the UI made, read back through the HTTP API.
    _, session = await api.call("POST", "/api/sessions", json={"email": email, "password": password}, expect=200)
    owner = Actor(session["token"], session["user"])
    _, hosts = await api.call("GET", "/api/merchants/me/hosts", owner, expect=200)
    assert [(h["display_name"], h["email"]) for h in hosts["hosts"]] == [("Ava", host_email)]
    _, show = await api.call("GET", f"/api/shows/{show_id}", expect=200)
    starts = await page.evaluate("new Date('2031-05-02T19:30').getTime() / 1000")  # the browser's local time
    assert (show["title"], show["description"], show["state"], show["record"]) == (
        "Friday night drops", "New sneakers and bags.", "scheduled", True)
    assert datetime.fromisoformat(show["starts_at"]).timestamp() == starts
    assert show["host"]["id"] == hosts["hosts"][0]["id"] and show["merchant_id"] == owner.merchant_id
    offers = [(o["title"], o["price_cents"], o["stock"], o["per_buyer_limit"], o["currency"]) for o in show["offers"]]
    assert offers == [("Court sneakers", 5700, 20, 3, "USD"), ("Canvas bag", 3900, 10, 1, "USD")]
    window = await page.evaluate("['2031-05-02T19:45', '2031-05-02T20:00'].map((t) => new Date(t).getTime() / 1000)")
    bag_offer = show["offers"][1]
    assert [datetime.fromisoformat(bag_offer[k]).timestamp() for k in ("sale_starts_at", "sale_ends_at")] == window
    assert show["offers"][0]["sale_starts_at"] is None
    _, products = await api.call("GET", "/api/products?include_archived=true", owner, expect=200)
    catalogue = sorted((p["sku"], p["title"], p["price_cents"], p["inventory"], p["image_url"], p["archived"])
                       for p in products["products"])
    assert catalogue == [
        ("BAG-2", "Canvas bag", 6499, 15, None, False),
        ("CAP-3", "Cap", 1200, 5, None, False),  # its offer was removed: the stock is back
        ("HAT-4", "Old hat", 1000, 1, None, True),
        ("SNKR-1", "Court sneakers", 8900, 20, f"{base}/static/img/demo/sneakers.svg", False)]

    await page.click("[data-testid=tab-shows]")
    row = page.locator(f"[data-testid=show-row][data-show-id='{show_id}']")
    await row.filter(has_text="Ava").wait_for()
    await row.locator("button[data-testid=show-open]").click()
    await detail.wait_for()


async def watchers(client: TestClient, show_id: str, actors: list[Actor | None]) -> list[Socket]:
    """Real socket.io clients in the show's live room (an anonymous one for ``None``)."""
    sockets = []
    for actor in actors:
        socket = Socket(str(client.make_url("/")))
        await socket.connect(actor, name=None if actor else "Guest")
        await socket.join(show_id)
        sockets.append(socket)
    return sockets


async def test_the_results_of_a_show_with_real_orders_and_viewers(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    base = base_url(client)
    owner = await api.merchant("Results Shop")
    show, offer = await api.live_show(owner, stock=10, limit=3)
    ann, bob = await api.viewer("Ann"), await api.viewer("Bob")
    declined = await api.viewer("Dee", payment_method="pm_card_declined")
    sockets = await watchers(client, show["id"], [ann, bob, declined, None])
    try:
        for viewer, quantity in ((ann, 2), (bob, 1), (declined, 1)):
            status, body = await api.tap(viewer, show["id"], offer["id"], quantity=quantity)
            assert status == 201, body

        async def settled() -> bool:
            _, r = await api.call("GET", f"/api/shows/{show['id']}/results", owner, expect=200)
            return (r["orders"]["paid"], r["orders"]["payment_failed"], r["unique_viewers"]) == (2, 1, 4)

        await eventually(settled)
    finally:
        for socket in sockets:
            await socket.close()
    await api.call("POST", f"/api/shows/{show['id']}/end", owner, expect=200)

    page = await open_page(f"{base}/merchant#shows/{show['id']}", DESKTOP)
    await page.fill("#login-email", owner.user["email"])
    await page.fill("#login-password", "correct-horse-1")
    await page.click("[data-testid=login-submit]")
    results = page.locator("[data-testid=results]")
    await results.locator("[data-testid=units-sold]").wait_for()
    figures = {name: await results.locator(f"[data-testid={name}]").text_content()
               for name in ("peak-viewers", "unique-viewers", "orders-count", "units-sold", "revenue", "conversion")}
    assert figures == {"peak-viewers": "4", "unique-viewers": "4", "orders-count": "2", "units-sold": "3",
                       "revenue": "$59.97", "conversion": "50.0%"}
    assert "1 declined" in await results.text_content()
    breakdown = results.locator(f"[data-testid=result-offer][data-offer-id='{offer['id']}']")
    assert await breakdown.locator("[data-testid=result-offer-revenue]").text_content() == "$59.97"

    chart = results.locator("svg[data-testid=chart]")
    assert await chart.locator("title").text_content() == "Viewers and paid orders per minute"
    assert await chart.locator(".series-orders rect").count() >= 1, "a bar for the minute with orders"
    points = await chart.locator(".series-viewers circle").count()
    assert points >= 1 and points == await results.locator("[data-testid=minutes-table] tbody tr").count()
    box = await chart.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 100
    await results.scroll_into_view_if_needed()
    await shot(page, "results")
