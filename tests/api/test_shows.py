"""Show scheduling, lineup, the state machine, public listing and the calendar feed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from tests.helpers import Api


async def test_schedule_show_with_lineup_and_public_detail(api: Api) -> None:
    owner = await api.merchant("Boutique")
    host = await api.host(owner, "Ava")
    product = await api.product(owner, title="Sneakers", price_cents=8900, inventory=30,
                                image_url="https://cdn.example.com/s.png")
    show = await api.show(owner, host, title="Drops", description="Friday")
    assert show["state"] == "scheduled" and show["host"] == {"id": host.id, "display_name": "Ava"}
    assert show["merchant_name"] == "Boutique" and show["watch_url"].endswith(f"/watch/{show['id']}")
    offer = await api.offer(owner, show["id"], product["id"], price_cents=5900, stock=20, per_buyer_limit=2)
    assert offer["list_price_cents"] == 8900 and offer["price_cents"] == 5900
    assert offer["stock"] == 20 and offer["remaining"] == 20 and offer["title"] == "Sneakers"

    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)  # anonymous
    assert [o["id"] for o in detail["offers"]] == [offer["id"]]
    _, products = await api.call("GET", f"/api/products/{product['id']}", owner, expect=200)
    assert products["inventory"] == 10, "allocated stock leaves the free inventory"

    # Scoped to this merchant: the public list holds the suite's other shows too, and stops at 200.
    _, listing = await api.call("GET", f"/api/shows?merchant_id={owner.merchant_id}", expect=200)
    assert show["id"] in [s["id"] for s in listing["shows"]]


async def test_stock_cannot_exceed_free_inventory(api: Api) -> None:
    owner = await api.merchant()
    product = await api.product(owner, inventory=5)
    first, second = await api.show(owner), await api.show(owner)
    await api.offer(owner, first["id"], product["id"], stock=4)
    status, body = await api.call("POST", f"/api/shows/{second['id']}/offers", owner, json={
        "product_id": product["id"], "price_cents": 100, "stock": 2, "per_buyer_limit": 1})
    assert status == 422 and body["error"]["code"] == "insufficient_inventory"
    await api.offer(owner, second["id"], product["id"], stock=1)


async def test_concurrent_allocations_never_take_the_same_units(api: Api) -> None:
    owner = await api.merchant()
    product = await api.product(owner, inventory=10)
    shows = [await api.show(owner) for _ in range(5)]
    results = await asyncio.gather(*[
        api.call("POST", f"/api/shows/{s['id']}/offers", owner, json={
            "product_id": product["id"], "price_cents": 100, "stock": 4, "per_buyer_limit": 1})
        for s in shows
    ])
    assert sorted(status for status, _ in results) == [201, 201, 422, 422, 422]
    _, after = await api.call("GET", f"/api/products/{product['id']}", owner, expect=200)
    assert after["inventory"] == 2


async def test_state_machine_and_stock_return(api: Api) -> None:
    owner = await api.merchant()
    host = await api.host(owner)
    product = await api.product(owner, inventory=10)
    show = await api.show(owner, host)
    offer = await api.offer(owner, show["id"], product["id"], stock=6)
    sid = show["id"]

    _, illegal = await api.call("POST", f"/api/shows/{sid}/end", host, expect=409)
    assert illegal["error"]["code"] == "illegal_transition"
    _, live = await api.call("POST", f"/api/shows/{sid}/start", host, expect=200)
    assert live["state"] == "live" and live["started_at"] and live["offers"][0]["remaining"] == 6
    await api.call("POST", f"/api/shows/{sid}/start", owner, expect=409)
    _, stock_change = await api.call("PATCH", f"/api/shows/{sid}/offers/{offer['id']}", owner,
                                     json={"stock": 3}, expect=409)
    assert stock_change["error"]["code"] == "show_live"
    _, ended = await api.call("POST", f"/api/shows/{sid}/end", owner, expect=200)
    assert ended["state"] == "ended" and ended["offers"][0]["remaining"] == 0
    await api.call("POST", f"/api/shows/{sid}/start", owner, expect=409)
    _, after = await api.call("GET", f"/api/products/{product['id']}", owner, expect=200)
    assert after["inventory"] == 10, "unsold stock returns to the inventory when the show ends"
    _, listing = await api.call("GET", "/api/shows", expect=200)
    assert sid not in [s["id"] for s in listing["shows"]], "ended shows leave the public list"


async def test_concurrent_starts_only_one_wins(api: Api) -> None:
    owner = await api.merchant()
    show = await api.show(owner)
    results = await asyncio.gather(*[api.call("POST", f"/api/shows/{show['id']}/start", owner) for _ in range(6)])
    assert sorted(status for status, _ in results) == [200, 409, 409, 409, 409, 409]


async def test_offer_added_to_live_show_goes_on_sale_and_terms_update(api: Api) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    product = await api.product(owner, inventory=8)
    offer = await api.offer(owner, show["id"], product["id"], stock=8)
    assert offer["remaining"] == 8
    ends = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    _, changed = await api.call("PATCH", f"/api/shows/{show['id']}/offers/{offer['id']}", owner,
                                json={"price_cents": 777, "sale_ends_at": ends}, expect=200)
    assert changed["offer"]["price_cents"] == 777 and changed["offer"]["remaining"] == 8


async def test_offer_removed_before_start_returns_inventory(api: Api) -> None:
    owner = await api.merchant()
    product = await api.product(owner, inventory=10)
    show = await api.show(owner)
    offer = await api.offer(owner, show["id"], product["id"], stock=7)
    await api.call("DELETE", f"/api/shows/{show['id']}/offers/{offer['id']}", owner, expect=204)
    _, after = await api.call("GET", f"/api/products/{product['id']}", owner, expect=200)
    assert after["inventory"] == 10
    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert detail["offers"] == []


async def test_host_must_belong_to_the_merchant(api: Api) -> None:
    owner, other = await api.merchant(), await api.merchant()
    foreign_host = await api.host(other)
    starts = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    status, body = await api.call("POST", "/api/shows", owner, json={
        "title": "x", "starts_at": starts, "host_id": foreign_host.id})
    assert status == 422 and body["error"]["code"] == "invalid_host"


async def test_calendar_feed_lists_upcoming_shows(api: Api) -> None:
    owner = await api.merchant("Cal Shop")
    show = await api.show(owner, title="Sunday Live")
    async with api.client.get(f"/merchants/{owner.merchant_id}/shows.ics") as response:
        assert response.status == 200 and response.content_type == "text/calendar"
        calendar = Calendar.from_ical(await response.read())
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Sunday Live"]
    assert str(events[0]["url"]).endswith(f"/watch/{show['id']}")
    assert events[0].decoded("dtstart") == datetime.fromisoformat(show["starts_at"]).replace(microsecond=0)
    await api.call("GET", "/merchants/mer_0000000000000000000000/shows.ics", expect=404)
