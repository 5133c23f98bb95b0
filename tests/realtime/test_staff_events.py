"""The studio's staff-only feed with real socket.io clients and real orders (HTTP tap -> Redis -> persistence ->
payment -> signal): the host and the merchant get per-offer counters and the orders; viewers never do."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from live import keys
from tests.helpers import Api, eventually
from tests.realtime.conftest import Socket, SocketFactory


def counters_are(offer_id: str, sold: int, reserved: int, remaining: int) -> Any:
    want = {"sold": sold, "reserved": reserved, "remaining": remaining}
    return lambda event: event["offers"].get(offer_id) == want


def order_is(order_id: str, status: str) -> Any:
    return lambda order: order["id"] == order_id and order["status"] == status


async def wait_order(socket: Socket, order_id: str, status: str, timeout: float = 5) -> dict[str, Any]:
    """The order as a ``staff_orders`` event (one per batch of changes) carried it: {show_id, order}."""
    matches = order_is(order_id, status)
    event = await socket.wait_for("staff_orders", lambda e: any(map(matches, e["orders"])), timeout=timeout)
    return {"show_id": event["show_id"], "order": next(o for o in event["orders"] if matches(o))}


async def test_staff_snapshot_has_counters_and_newest_orders_viewers_get_neither(
        api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    host = await api.host(owner, "Hana")
    show, offer = await api.live_show(owner, stock=5, host=host)
    buyer = await api.viewer("Bea", payment_method="pm_card_visa")
    _, body = await api.tap(buyer, show["id"], offer["id"])

    async def settled() -> Any:  # the order is paid and persisted (the counters read SQL)
        _, sales = await api.call("GET", f"/api/shows/{show['id']}/sales", host, expect=200)
        paid = sales["orders"] and sales["orders"][0]["status"] == "paid"
        return sales if paid and sales["counters"][offer["id"]]["sold"] == 1 else None

    over_http = await eventually(settled)
    snapshot = await (await sockets(host)).join(show["id"])
    assert snapshot["you"]["staff"] is True
    staff = snapshot["staff"]
    assert staff["orders"][0]["id"] == body["order"]["id"] and staff["orders"][0]["buyer_name"] == "Bea"
    assert staff["counters"] == {offer["id"]: {"sold": 1, "reserved": 0, "remaining": 4}}
    assert staff == over_http == (await (await sockets(owner)).join(show["id"]))["staff"]

    viewer_snapshot = await (await sockets(await api.viewer())).join(show["id"])
    assert "staff" not in viewer_snapshot and viewer_snapshot["you"]["staff"] is False
    assert "staff" not in await (await sockets(name="Anon")).join(show["id"])


async def test_scheduled_show_counts_its_allocated_stock(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show = await api.show(owner)
    offer = await api.offer(owner, show["id"], (await api.product(owner))["id"], stock=8)
    snapshot = await (await sockets(owner)).join(show["id"])
    assert snapshot["staff"] == {"counters": {offer["id"]: {"sold": 0, "reserved": 0, "remaining": 8}}, "orders": []}


async def test_reserve_then_pay_moves_a_unit_from_reserved_to_sold(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    host = await api.host(owner)
    show, offer = await api.live_show(owner, stock=3, host=host)
    studio, merchant = await sockets(host), await sockets(owner)
    viewer = await sockets(await api.viewer())
    for s in (studio, merchant, viewer):
        await s.join(show["id"])

    buyer = await api.viewer("Async Ann", payment_method="pm_card_async")  # paid about a second later
    status, body = await api.tap(buyer, show["id"], offer["id"])
    assert status == 201
    order_id = body["order"]["id"]
    for s in (studio, merchant):
        reserved = await wait_order(s, order_id, "reserved")
        assert reserved["show_id"] == show["id"] and reserved["order"]["buyer_name"] == "Async Ann"
        assert reserved["order"]["offer_id"] == offer["id"] and reserved["order"]["quantity"] == 1
        await s.wait_for("offer_counters", counters_are(offer["id"], sold=0, reserved=1, remaining=2))
    paid = await wait_order(studio, order_id, "paid", timeout=10)
    assert paid["order"]["buyer_name"] == "Async Ann"
    await studio.wait_for("offer_counters", counters_are(offer["id"], sold=1, reserved=0, remaining=2))
    await merchant.wait_for("offer_counters", counters_are(offer["id"], sold=1, reserved=0, remaining=2))

    assert_no_staff_events(viewer)
    assert viewer.events["order"] == []  # someone else's order


async def test_declined_payment_returns_the_unit(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=2)
    studio = await sockets(owner)
    await studio.join(show["id"])
    buyer = await api.viewer("Dee", payment_method="pm_card_declined")
    buyer_socket = await sockets(buyer)
    await buyer_socket.join(show["id"])
    status, body = await api.tap(buyer, show["id"], offer["id"])
    assert status == 201
    order_id = body["order"]["id"]
    failed = await wait_order(studio, order_id, "payment_failed", timeout=10)
    assert failed["order"]["failure_code"] == "card_declined"
    await studio.wait_for("offer_counters", counters_are(offer["id"], sold=0, reserved=0, remaining=2))
    # The buyer hears of their own order, never of the staff feed.
    await buyer_socket.wait_for("order", lambda e: e["order"]["status"] == "payment_failed")
    assert_no_staff_events(buyer_socket)
    assert all(e["order"]["status"] != "reserved" for e in buyer_socket.events["order"])


async def test_an_expired_reservation_returns_the_unit(api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=3)
    studio = await sockets(owner)
    await studio.join(show["id"])
    client.app[keys.payment_service_key].provider.async_delay_seconds = 60  # the bank never answers in time
    status, body = await api.tap(await api.viewer("Slow", payment_method="pm_card_async"), show["id"], offer["id"])
    assert status == 201
    order_id = body["order"]["id"]
    await studio.wait_for("offer_counters", counters_are(offer["id"], sold=0, reserved=1, remaining=2))
    # Its reservation's time is up now (instead of in 10 minutes): the sweeper expires it.
    redis_keys = client.app[keys.redis_keys_key]
    await client.app[keys.redis_key].zadd(redis_keys.show(show["id"]).deadlines, {order_id: 0})
    expired = await wait_order(studio, order_id, "expired", timeout=10)
    assert expired["order"]["buyer_name"] == "Slow"
    await studio.wait_for("offer_counters", counters_are(offer["id"], sold=0, reserved=0, remaining=3))


async def test_a_socket_that_leaves_the_show_stops_hearing_staff_events(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=4)
    left, stayed = await sockets(owner), await sockets(owner)
    for s in (left, stayed):
        await s.join(show["id"])
    assert await left.call("leave", {"show_id": show["id"]}) == {"ok": True}
    status, _ = await api.tap(await api.viewer(), show["id"], offer["id"])
    assert status == 201
    await stayed.wait_for("offer_counters", lambda e: e["offers"][offer["id"]]["remaining"] == 3)
    assert_no_staff_events(left)


async def test_a_burst_of_taps_ends_with_exact_counters_and_every_order(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=1)
    studio = await sockets(owner)
    await studio.join(show["id"])
    buyers = [await api.viewer(f"Buyer {i}") for i in range(8)]
    results = await asyncio.gather(*(api.tap(b, show["id"], offer["id"]) for b in buyers))
    created = {body["order"]["id"] for status, body in results if status == 201}
    assert len(created) == 5 and sorted(status for status, _ in results).count(409) == 3
    await studio.wait_for("offer_counters", counters_are(offer["id"], sold=5, reserved=0, remaining=0), timeout=15)
    for order_id in created:
        await wait_order(studio, order_id, "paid")
    winners = [b for b, (status, _) in zip(buyers, results, strict=True) if status == 201]
    named = {o["buyer_name"] for e in studio.events["staff_orders"] for o in e["orders"]}
    assert named == {b.user["display_name"] for b in winners}

    # After the show, its staff still see the final numbers (what was left went back to the inventory).
    await api.call("POST", f"/api/shows/{show['id']}/end", owner, expect=200)
    snapshot = await (await sockets(owner)).join(show["id"])
    assert snapshot["staff"]["counters"][offer["id"]] == {"sold": 5, "reserved": 0, "remaining": 0}
    assert {o["id"] for o in snapshot["staff"]["orders"]} == created


def assert_no_staff_events(socket: Socket) -> None:
    assert socket.events["staff_orders"] == [] and socket.events["offer_counters"] == []


async def test_the_shows_own_staff_are_not_counted_as_viewers(
        api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner = await api.merchant()
    host = await api.host(owner)
    show, _ = await api.live_show(owner, host=host)
    studio, dashboard = await sockets(host), await sockets(owner)
    assert (await studio.join(show["id"]))["viewers"] == 0
    assert (await dashboard.join(show["id"]))["viewers"] == 0
    viewer = await sockets(await api.viewer())
    assert (await viewer.join(show["id"]))["viewers"] == 1
    await studio.wait_for("viewers", lambda e: e["count"] == 1)
    await viewer.wait_for("viewers", lambda e: e["count"] == 1)
    uniques = client.app[keys.redis_keys_key].show(show["id"]).uniques
    assert await client.app[keys.redis_key].pfcount(uniques) == 1, "the results' unique viewers leave staff out"


async def test_a_joiner_hears_the_true_count_even_when_the_total_looks_unchanged(
        api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    first = await sockets(await api.viewer("First"))
    await first.join(show["id"])
    await first.wait_for("viewers", lambda e: e["count"] == 1)
    await first.close()  # one viewer leaves and another comes within the same second: the total stays 1
    studio = await sockets(owner)
    assert (await studio.join(show["id"]))["viewers"] == 0
    await (await sockets(await api.viewer("Second"))).join(show["id"])
    await studio.wait_for("viewers", lambda e: e["count"] == 1)
