"""The host studio in real Chromium against the real app: the host signs in through the form, previews the
fake camera, goes live over WHIP (a WHEP viewer page decodes the video; the time from the click to its first
frame is printed), pushes cards and runs a flash deal, watches counters and orders move as viewers buy over
the API, moderates the chat, and ends the show. Viewers are API calls and python socket.io clients."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from live.keys import media_key
from tests.e2e.conftest import DESKTOP, PHONE, OpenPage
from tests.e2e.flows import HOST_PASSWORD, counters, offer_row, sign_in, text_of, wait_counters, wait_text
from tests.e2e.test_browser_media import wait_for
from tests.helpers import Actor, Api, eventually
from tests.realtime.conftest import Socket


async def unlabelled_controls(page: Any) -> list[str]:
    """Every control visible on the page has an accessible name (a label, aria-label or its text)."""
    return list(await page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea')]
        .filter((e) => e.offsetParent !== null)
        .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map((e) => e.outerHTML)"""))


async def studio_show(api: Api) -> tuple[Actor, Actor, dict[str, Any], list[dict[str, Any]]]:
    owner = await api.merchant("Northwind Outfitters")
    host = await api.host(owner, "Maya")
    show = await api.show(owner, host, title="Autumn jackets, live")
    offers = []
    for title, price, stock in (("Rain shell", 8900, 5), ("Merino beanie", 2400, 12)):
        product = await api.product(owner, title=title, price_cents=price + 2000, inventory=50)
        offers.append(await api.offer(owner, show["id"], product["id"], price_cents=price, stock=stock,
                                      per_buyer_limit=2))
    return owner, host, show, offers


async def viewer_socket(client: TestClient, actor: Actor, show_id: str) -> Socket:
    socket = await Socket(str(client.make_url("/"))).connect(actor)
    await socket.join(show_id)
    return socket


async def test_host_runs_a_live_show_from_the_studio(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any, browser: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    _owner, host, show, (shell, beanie) = await studio_show(api)
    base = str(client.make_url("")).rstrip("/")
    page = await open_page(f"{base}/studio/{show['id']}", viewport=DESKTOP)
    await page.wait_for_selector("#login-email")
    await shot(page, "sign-in")
    await sign_in(page, host, HOST_PASSWORD)

    # The preview plays the fake camera; the pickers list the devices by name once permission is granted.
    await page.wait_for_function("document.querySelector('#preview')?.videoWidth > 0", timeout=15000)
    assert await page.eval_on_selector("#camera", "s => [...s.options].every(o => o.value && o.textContent)")
    assert await page.eval_on_selector("#microphone", "s => s.options.length >= 1 && !s.disabled")
    assert await text_of(page, "[data-testid=show-state]") == "scheduled"
    assert await page.get_attribute("[data-testid=connection-state]", "data-state") == "idle"
    assert await counters(page, shell["id"]) == {"sold": 0, "reserved": 0, "remaining": 5}
    await shot(page, "preview")

    # Go live: the show starts, WHIP connects, bytes flow; a WHEP viewer decodes the picture.
    clicked = time.monotonic()
    await page.click("[data-testid=go-live]")
    await wait_text(page, "[data-testid=show-state]", "live")
    viewer_page = await browser.new_page()  # the bare test player (not a product page: its favicon 404s)
    await viewer_page.goto(f"{base}/e2e/watch.html?show={show['id']}")
    await wait_for(viewer_page, "window.firstFrameMs")
    click_to_first_frame_ms = round((time.monotonic() - clicked) * 1000)
    await page.wait_for_selector("[data-testid=connection-state][data-state=connected]", timeout=15000)
    await page.wait_for_function(
        "Number(document.querySelector('[data-testid=bitrate]').dataset.kbps) > 0", timeout=15000)
    assert (await text_of(page, "[data-testid=bitrate]")).endswith(" kbit/s")
    _, current = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert current["state"] == "live"
    with capsys.disabled():
        print("\n" + json.dumps({"test": "studio", "go_live_click_to_viewer_first_frame_ms": click_to_first_frame_ms}))
    assert await text_of(page, "[data-testid=go-live]") == "On air"

    # Switching the microphone while live replaces the track in the preview and the sender; video keeps flowing.
    mics = await page.eval_on_selector("#microphone", "s => [...s.options].map(o => o.value)")
    assert len(mics) >= 2, mics  # Chromium's fake devices: a default and numbered inputs
    await page.select_option("#microphone", mics[-1])
    await page.wait_for_function(
        "(id) => document.querySelector('#preview').srcObject.getAudioTracks()[0]?.getSettings().deviceId === id",
        arg=mics[-1], timeout=10000)
    assert await page.eval_on_selector("#preview", "v => v.srcObject.getAudioTracks().length") == 1
    await page.wait_for_selector("[data-testid=connection-state][data-state=connected]")

    # Push a card: the room's card is that offer; the studio highlights its row.
    watcher = await viewer_socket(client, await api.viewer("Watcher"), show["id"])
    await page.click(f"{offer_row(shell['id'])} [data-testid=push-card]")
    card = await watcher.wait_for("card", lambda e: e["card"] and e["card"]["id"] == shell["id"])
    assert card["card"]["pinned"] is False and card["card"]["price_cents"] == 8900
    await page.wait_for_selector(f"{offer_row(shell['id'])}[data-current=true]")
    assert await page.get_attribute(offer_row(beanie["id"]), "data-current") == "false"
    await page.click(f"{offer_row(shell['id'])} [data-testid=pin]")
    await watcher.wait_for("card", lambda e: e["card"] and e["card"]["pinned"] is True)

    # A viewer buys: reserved, then paid (the async sandbox card pays about a second later), without reload.
    buyer = await api.viewer("Priya", payment_method="pm_card_async")
    status, body = await api.tap(buyer, show["id"], shell["id"])
    assert status == 201
    order = f"[data-testid=orders] [data-testid=order][data-order-id='{body['order']['id']}']"
    await wait_counters(page, shell["id"], sold=0, reserved=1, remaining=4)
    await page.wait_for_selector(f"{order}[data-status=reserved]", timeout=10000)
    assert "Priya" in await text_of(page, order) and "Rain shell" in await text_of(page, order)
    await wait_counters(page, shell["id"], sold=1, reserved=0, remaining=4)
    await page.wait_for_selector(f"{order}[data-status=paid]", timeout=10000)
    for name in ("Jonas", "Aiko"):
        status, _ = await api.tap(await api.viewer(name), show["id"], beanie["id"], quantity=2)
        assert status == 201
    await wait_counters(page, beanie["id"], sold=4, reserved=0, remaining=8)
    assert await page.locator("[data-testid=order]").count() == 3
    assert "Aiko" in await text_of(page, "[data-testid=orders] [data-testid=order]:first-child")

    # Chat: viewers write, the host answers as staff.
    asker, heckler, spammer = await api.viewer("Lena"), await api.viewer("Troll"), await api.viewer("Spam Bot")
    chat = f"/api/shows/{show['id']}/chat"
    _, question = await api.call("POST", chat, asker, json={"text": "Is the shell waterproof?"}, expect=201)
    _, rude = await api.call("POST", chat, heckler, json={"text": "boring!!"}, expect=201)
    _, spam = await api.call("POST", chat, spammer, json={"text": "cheap watches at spam.example"}, expect=201)
    await page.fill("#chat-input", "Yes, fully taped seams. 10k mm rating.")
    await page.click("[data-testid=chat-send]")
    await page.wait_for_selector("[data-testid=chat-message].staff")
    assert await page.input_value("#chat-input") == ""
    await watcher.wait_for("chat", lambda e: e["message"]["staff"] is True)
    await page.wait_for_selector(f"[data-testid=chat-message][data-message-id='{spam['id']}']")
    await page.hover(f"[data-testid=chat-message][data-message-id='{question['id']}']")
    await shot(page, "studio-live")
    assert await unlabelled_controls(page) == []
    await page.focus(f"{offer_row(beanie['id'])} [data-testid=push-card]")  # keyboard: Enter pushes the card
    await page.keyboard.press("Enter")
    await watcher.wait_for("card", lambda e: e["card"] and e["card"]["id"] == beanie["id"])

    # Delete: gone from the studio, the room is told, a late joiner never sees it.
    spam_row = f"[data-testid=chat-message][data-message-id='{spam['id']}']"
    await page.click(f"{spam_row} [data-testid=delete-message]")
    await page.wait_for_selector(spam_row, state="detached")
    await watcher.wait_for("chat_removed", lambda e: e["message_id"] == spam["id"])
    late = await Socket(str(client.make_url("/"))).connect(name="Late")
    assert spam["id"] not in [m["id"] for m in (await late.join(show["id"]))["chat"]]

    # Mute: the muted viewer's next message is refused; ban: so is the banned viewer's, and their purchase.
    await page.click(f"[data-testid=chat-message][data-message-id='{rude['id']}'] [data-testid=mute]")
    await wait_text(page, f"[data-testid=chat-message][data-message-id='{rude['id']}'] [data-testid=mute]", "Unmute")
    status, refused = await api.call("POST", chat, heckler, json={"text": "again"})
    assert (status, refused["error"]["code"]) == (403, "muted")
    await page.click(f"[data-testid=chat-message][data-message-id='{question['id']}'] [data-testid=ban]")
    await wait_text(page, f"[data-testid=chat-message][data-message-id='{question['id']}'] [data-testid=ban]", "Unban")
    status, refused = await api.call("POST", chat, asker, json={"text": "hello?"})
    assert (status, refused["error"]["code"]) == (403, "banned")
    status, _ = await api.tap(asker, show["id"], beanie["id"])
    assert status == 403

    # Slow mode reaches the room.
    await page.select_option("#slow-mode", "10")
    await watcher.wait_for("show", lambda e: e["show"]["slow_mode_seconds"] == 10)

    # A flash deal on the beanie: its card comes with a countdown; ending the deal closes its sale window.
    beanie_row = offer_row(beanie["id"])
    await page.fill(f"{beanie_row} [data-testid=deal-seconds]", "90")
    await page.click(f"{beanie_row} [data-testid=start-deal]")
    deal = await watcher.wait_for("card", lambda e: e["card"] and e["card"]["deal_ends_at"] is not None)
    assert deal["card"]["id"] == beanie["id"] and deal["card"]["pinned"] is True
    await page.wait_for_selector(f"{beanie_row}[data-current=true]")
    assert "left" in await text_of(page, f"{beanie_row} .deal")
    await shot(page, "flash-deal")
    await page.click(f"{beanie_row} [data-testid=end-deal]")
    await watcher.wait_for("card", lambda e: e["card"] and e["card"]["id"] == beanie["id"] and e is not deal
                           and not e["card"]["on_sale"])

    # End the show: the confirmation first; then the video stops and the show is over.
    await page.click("[data-testid=end-show]")
    await page.wait_for_selector("dialog[open] [data-testid=confirm-end]")
    await page.click("[data-testid=confirm-end]")
    await wait_text(page, "[data-testid=show-state]", "ended")
    await page.wait_for_selector("[data-testid=connection-state][data-state=idle]")
    assert await page.is_disabled("[data-testid=go-live]")
    _, ended = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert ended["state"] == "ended"
    await watcher.wait_for("show", lambda e: e["show"]["state"] == "ended")
    await shot(page, "ended")
    for s in (watcher, late):
        await s.close()
    await viewer_page.close()


async def test_someone_elses_host_sees_not_your_show(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    _, _, show, _ = await studio_show(api)
    other_host = await api.host(await api.merchant("Other shop"), "Sam")
    page = await open_page(f"{str(client.make_url('')).rstrip('/')}/studio/{show['id']}")
    await page.wait_for_selector("#login-email")
    await sign_in(page, other_host, HOST_PASSWORD)
    await page.wait_for_selector("text=Not your show")
    assert await page.locator("video#preview").count() == 0
    await shot(page, "not-your-show")


async def test_the_merchant_opens_the_studio_and_the_counters_follow_a_declined_payment(
        api: Api, client: TestClient, open_page: OpenPage, shot: Any) -> None:
    owner, _, show, (shell, _) = await studio_show(api)
    await api.call("POST", f"/api/shows/{show['id']}/start", owner, expect=200)
    page = await open_page(f"{str(client.make_url('')).rstrip('/')}/studio/{show['id']}")
    await sign_in(page, owner, "correct-horse-1")  # tests.helpers.Api.merchant
    await wait_text(page, "[data-testid=show-state]", "live")
    assert await text_of(page, "[data-testid=go-live]") == "Resume video"
    status, body = await api.tap(await api.viewer("Dee", payment_method="pm_card_declined"), show["id"], shell["id"])
    assert status == 201
    order = f"[data-testid=order][data-order-id='{body['order']['id']}']"
    await page.wait_for_selector(f"{order}[data-status=payment_failed]", timeout=10000)
    await wait_counters(page, shell["id"], sold=0, reserved=0, remaining=5)
    before = int(await text_of(page, "[data-testid=viewer-count]"))
    newcomer = await viewer_socket(client, await api.viewer("Newcomer"), show["id"])
    await wait_text(page, "[data-testid=viewer-count]", str(before + 1))
    await newcomer.close()
    await page.wait_for_function("document.querySelector('#preview')?.videoWidth > 0", timeout=15000)
    await page.set_viewport_size(PHONE)  # a host on a phone gets one column
    await shot(page, "studio-phone")


async def test_the_studio_publishes_again_when_the_server_drops_the_video(
        api: Api, client: TestClient, open_page: OpenPage) -> None:
    owner, host, show, _ = await studio_show(api)
    await api.call("POST", f"/api/shows/{show['id']}/start", owner, expect=200)
    page = await open_page(f"{str(client.make_url('')).rstrip('/')}/studio/{show['id']}")
    await sign_in(page, host, HOST_PASSWORD)
    await page.wait_for_function("document.querySelector('#preview')?.videoWidth > 0", timeout=15000)
    assert await text_of(page, "[data-testid=go-live]") == "Resume video"  # live already: publish only
    await page.click("[data-testid=go-live]")
    await page.wait_for_selector("[data-testid=connection-state][data-state=connected]", timeout=15000)
    media = client.app[media_key]
    first = media.shows[show["id"]].publisher
    assert first is not None

    await media.end(first)  # the server hangs up on the host (as after a network failure)
    started = time.monotonic()
    await eventually(lambda: _republished(media, show["id"], first), timeout=30)
    await page.wait_for_selector("[data-testid=connection-state][data-state=connected]", timeout=15000)
    print(f"\nre-published {time.monotonic() - started:.1f} s after the server dropped the host")
    await page.wait_for_function(
        "Number(document.querySelector('[data-testid=bitrate]').dataset.kbps) > 0", timeout=15000)
    _, current = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert current["state"] == "live"


async def _republished(media: Any, show_id: str, old: Any) -> bool:
    publisher = media.shows[show_id].publisher if show_id in media.shows else None
    return publisher is not None and publisher is not old
