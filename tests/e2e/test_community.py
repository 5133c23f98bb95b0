"""Community and trust in real Chromium: the demo viewer signs in on a fresh phone and buys with one tap; a
buyer reviews from /me and another viewer's live card shows the rating; a chat question the host marks
"answering now" is highlighted for the viewer; a damaged item is refunded by half in the dashboard and the
buyer sees it."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from live import demo, keys
from live.auth import COOKIE_NAME
from tests.community import purchase
from tests.e2e.conftest import DESKTOP, PHONE, OpenPage, base_url
from tests.e2e.flows import HOST_PASSWORD, checkout, sign_in, viewer_page
from tests.helpers import Actor, Api, unique_email


async def page_as(open_page: OpenPage, client: TestClient, path: str, actor: Actor, viewport: dict[str, int]) -> Any:
    """A page opened in its own browser with the actor's cookie (as after their sign-in)."""
    page = await open_page("about:blank", viewport=viewport, locale="en-US")
    await page.context.add_cookies([{"name": COOKIE_NAME, "value": actor.token, "url": base_url(client),
                                     "httpOnly": True, "sameSite": "Strict"}])
    await page.goto(f"{base_url(client)}{path}")
    return page


async def test_the_demo_viewer_signs_in_on_a_fresh_phone_and_buys_with_one_tap(
        client: TestClient, open_page: OpenPage, shot: Any) -> None:
    async with client.app[keys.sessionmaker_key]() as session:
        logins = await demo.seed(session, client.app[keys.redis_key], client.app[keys.redis_keys_key],
                                 base_url(client))
    page = await viewer_page(open_page, client, logins.show_id)
    await expect(page.get_by_test_id("card")).to_be_visible()
    await page.get_by_test_id("sign-in").click()
    await page.fill("#signin-email", demo.VIEWER[1])
    await page.fill("#signin-password", demo.VIEWER[2])
    await page.get_by_test_id("signin-submit").click()
    await expect(page.get_by_test_id("sign-in")).to_be_hidden()
    await expect(page.locator("body")).to_have_attribute("data-room", "joined")
    await page.get_by_test_id("buy").click()
    await expect(page.get_by_test_id("order-status")).to_have_text("Paid ✓", timeout=15000)
    await expect(page.locator("dialog[data-testid=checkout]")).to_be_hidden()
    await shot(page, "signed-in-one-tap")


async def test_a_buyer_reviews_from_me_and_the_live_card_shows_it(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    p = await purchase(api)
    await api.call("POST", f"/api/shows/{p.show['id']}/cards", p.merchant,
                   json={"offer_id": p.offer["id"], "pinned": True}, expect=201)
    other = await viewer_page(open_page, client, p.show["id"], await api.viewer("Other"))
    await expect(other.get_by_test_id("card-title")).to_have_text("Thing")
    await expect(other.get_by_test_id("card-rating")).to_have_text("")

    me = await page_as(open_page, client, "/me", p.buyer, PHONE)
    order = me.locator(f"[data-testid=my-order][data-order-id='{p.order_id}']")
    await order.get_by_test_id("review-this").click()
    await order.get_by_test_id("review-rating").select_option("4")
    await order.get_by_test_id("review-body").fill("Comfortable, true to size.")
    await order.get_by_test_id("review-submit").click()
    await expect(order.get_by_test_id("review-done")).to_be_visible()
    await shot(me, "me-reviewed")

    await expect(other.get_by_test_id("card-rating")).to_have_text("★ 4.0 (1 review)", timeout=5000)
    await other.get_by_test_id("card-details").click()
    await expect(other.get_by_test_id("sheet-summary")).to_contain_text("4.0 · 1 review")
    await expect(other.get_by_test_id("sheet-review")).to_contain_text("Comfortable, true to size.")
    await other.get_by_test_id("sheet-ask").fill("Is it machine washable?")
    await other.get_by_test_id("sheet-ask-send").click()
    await expect(other.get_by_test_id("sheet-question")).to_contain_text("Is it machine washable?")
    await shot(other, "card-rating-and-sheet")


async def test_a_chat_question_answered_now_is_highlighted_for_the_viewer(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    owner = await api.merchant()
    host = await api.host(owner, "Maya")
    show, _ = await api.live_show(owner, host=host)
    studio = await open_page(f"{base_url(client)}/studio/{show['id']}", viewport=DESKTOP)
    await sign_in(studio, host, HOST_PASSWORD)
    await expect(studio.get_by_test_id("show-state")).to_have_text("live")

    viewer = await viewer_page(open_page, client, show["id"], await api.viewer("Asker"))
    await expect(viewer.locator("body")).to_have_attribute("data-room", "joined")
    await viewer.fill("#chat-input", "Does it come in green?")
    await viewer.get_by_test_id("chat-question").check()
    await viewer.get_by_test_id("chat-send").click()
    await expect(viewer.locator(".chat-message.question")).to_contain_text("Does it come in green?")

    queued = studio.get_by_test_id("queued-question")
    await expect(queued).to_contain_text("Does it come in green?")
    await queued.get_by_test_id("answer-now").click()
    await expect(viewer.get_by_test_id("answering")).to_be_visible()
    await expect(viewer.get_by_test_id("answering")).to_contain_text("Does it come in green?")
    await expect(viewer.locator(".chat-message.answering-now")).to_contain_text("Does it come in green?")
    await shot(viewer, "answering-now")
    await studio.get_by_test_id("answering-done").click()
    await expect(viewer.get_by_test_id("answering")).to_be_hidden()


async def test_a_damaged_item_is_refunded_by_half_and_the_buyer_sees_it(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    p = await purchase(api)
    watching = await viewer_page(open_page, client, p.show["id"], p.buyer)
    await expect(watching.locator("body")).to_have_attribute("data-room", "joined")
    me = await page_as(open_page, client, "/me", p.buyer, PHONE)
    order = me.locator(f"[data-testid=my-order][data-order-id='{p.order_id}']")
    await order.get_by_test_id("report-problem").click()
    await order.get_by_test_id("issue-kind").select_option("damaged")
    await order.get_by_test_id("issue-text").fill("The strap arrived torn.")
    await order.get_by_test_id("issue-submit").click()
    await expect(me.get_by_test_id("issue-state")).to_have_text("open")
    await me.get_by_test_id("thread-form").locator("textarea").fill("I can send a photo.")
    await me.get_by_test_id("thread-send").click()
    await expect(me.get_by_test_id("my-issue")).to_contain_text("I can send a photo.")

    dashboard = await open_page(f"{base_url(client)}/merchant#issues", viewport=DESKTOP)
    await sign_in(dashboard, p.merchant, "correct-horse-1")  # tests.helpers.Api.merchant
    row = dashboard.get_by_test_id("issue-row")
    await expect(row).to_contain_text("The strap arrived torn.")
    await expect(row).to_contain_text("I can send a photo.")
    await expect(row.get_by_test_id("refund-amount")).to_have_value("19.99")
    await row.get_by_test_id("refund-amount").fill("10.00")
    await row.get_by_test_id("refund-submit").click()
    await expect(row.get_by_test_id("issue-state")).to_have_text("resolved")
    await expect(row.get_by_test_id("issue-refund")).to_contain_text("$10.00")
    await shot(dashboard, "refunded-half")

    await expect(watching.get_by_test_id("order-notice")).to_contain_text("Refunded $10.00")
    await me.reload()
    await expect(me.get_by_test_id("issue-state")).to_have_text("resolved")
    await expect(me.get_by_test_id("order-refunded")).to_contain_text("$10.00")
    await shot(me, "buyer-sees-refund")


async def test_the_checkout_sets_a_password_and_another_phone_signs_in(
        api: Api, client: TestClient, open_page: OpenPage) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=2)
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
    email = unique_email("returning")
    first = await viewer_page(open_page, client, show["id"])
    await expect(first.get_by_test_id("card")).to_be_visible()
    await first.get_by_test_id("buy").click()
    await first.get_by_test_id("checkout-save-login").locator("summary").click()
    await first.fill("#checkout-email", email)
    await first.fill("#checkout-password", "my-password-1")
    await checkout(first, "Robin")
    await expect(first.get_by_test_id("order-status")).to_have_text("Paid ✓", timeout=15000)
    await expect(first.get_by_test_id("sign-in")).to_be_hidden()

    phone = await viewer_page(open_page, client, show["id"])
    await phone.get_by_test_id("sign-in").click()
    await phone.fill("#signin-email", email)
    await phone.fill("#signin-password", "my-password-1")
    await phone.get_by_test_id("signin-submit").click()
    await expect(phone.get_by_test_id("sign-in")).to_be_hidden()
    await phone.get_by_test_id("buy").click()
    await expect(phone.get_by_test_id("order-status")).to_have_text("Paid ✓", timeout=15000)
    _, orders = await api.call("GET", f"/api/shows/{show['id']}/orders", owner, expect=200)
    assert {o["buyer"]["display_name"] for o in orders["orders"]} == {"Robin"} and len(orders["orders"]) == 2
