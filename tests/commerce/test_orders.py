"""The one-tap hot path through the real HTTP app, Redis and SQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient

from tests.commerce.checks import assert_reconciled, drained, sql_orders
from tests.helpers import Api, eventually


async def order_status(api: Api, viewer, order_id: str) -> str:
    _, body = await api.call("GET", f"/api/orders/{order_id}", viewer, expect=200)
    return str(body["status"])


async def test_tap_reserves_then_payment_makes_it_paid(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=2, price_cents=1999)
    viewer = await api.viewer(payment_method="pm_card_visa")
    status, body = await api.tap(viewer, show["id"], offer["id"], quantity=2)
    assert status == 201, body
    order = body["order"]
    assert order["status"] == "reserved" and order["quantity"] == 2 and body["remaining"] == 3
    assert order["price_cents"] == 1999 and order["amount_cents"] == 3998 and order["currency"] == "USD"
    assert datetime.fromisoformat(order["expires_at"]) > datetime.now(UTC) + timedelta(minutes=9)

    async def paid() -> bool:
        return await order_status(api, viewer, order["id"]) == "paid"

    await eventually(paid)
    await drained(client, show["id"])
    rows = await sql_orders(client, show["id"])
    assert [(r.id, r.status, r.quantity) for r in rows] == [(order["id"], "paid", 2)]
    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert detail["offers"][0]["remaining"] == 3
    await assert_reconciled(client, show["id"])


async def test_refusals_are_409_with_codes(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=3, limit=2)
    buyer = await api.viewer()
    assert (await api.tap(buyer, show["id"], offer["id"], quantity=2))[0] == 201
    status, body = await api.tap(buyer, show["id"], offer["id"])
    assert status == 409 and body["error"]["code"] == "limit_reached" and body["error"]["you_may_add"] == 0
    other = await api.viewer()
    status, body = await api.tap(other, show["id"], offer["id"], quantity=2)
    assert status == 409 and body["error"]["code"] == "sold_out" and body["error"]["remaining"] == 1
    assert (await api.tap(other, show["id"], offer["id"]))[0] == 201
    status, body = await api.tap(await api.viewer(), show["id"], offer["id"])
    assert status == 409 and body["error"]["code"] == "sold_out" and body["error"]["remaining"] == 0


async def test_not_on_sale_cases(api: Api) -> None:
    owner = await api.merchant()
    viewer = await api.viewer()
    product = await api.product(owner)
    scheduled = await api.show(owner)
    offer = await api.offer(owner, scheduled["id"], product["id"], stock=5)
    status, body = await api.tap(viewer, scheduled["id"], offer["id"])
    assert status == 409 and body["error"]["code"] == "not_on_sale" and body["error"]["reason"] == "show_not_live"

    live, live_offer = await api.live_show(owner)
    status, body = await api.tap(viewer, live["id"], offer["id"])  # an offer of another show
    assert status == 409 and body["error"]["reason"] == "unknown_offer"

    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    await api.call("PATCH", f"/api/shows/{live['id']}/offers/{live_offer['id']}", owner,
                   json={"sale_starts_at": later}, expect=200)
    status, body = await api.tap(viewer, live["id"], live_offer["id"])
    assert status == 409 and body["error"]["reason"] == "outside_sale_window"

    await api.call("PATCH", f"/api/shows/{live['id']}/offers/{live_offer['id']}", owner,
                   json={"sale_starts_at": None}, expect=200)
    assert (await api.tap(viewer, live["id"], live_offer["id"]))[0] == 201
    await api.call("POST", f"/api/shows/{live['id']}/end", owner, expect=200)
    status, body = await api.tap(viewer, live["id"], live_offer["id"])
    assert status == 409 and body["error"]["reason"] == "show_not_live"
    status, body = await api.tap(viewer, "shw_00000000000000000000000", live_offer["id"])
    assert status == 409 and body["error"]["code"] == "not_on_sale"


async def test_a_viewer_banned_from_the_show_cannot_buy(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5)
    viewer = await api.viewer()
    await api.call("POST", f"/api/shows/{show['id']}/moderation", owner,
                   json={"user_id": viewer.id, "action": "ban"}, expect=200)
    status, body = await api.tap(viewer, show["id"], offer["id"])
    assert status == 403 and body["error"]["code"] == "banned"
    await api.call("POST", f"/api/shows/{show['id']}/moderation", owner,
                   json={"user_id": viewer.id, "action": "unban"}, expect=200)
    assert (await api.tap(viewer, show["id"], offer["id"]))[0] == 201


async def test_tap_needs_key_viewer_and_payment_method(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    viewer = await api.viewer()
    path = f"/api/shows/{show['id']}/orders"
    status, body = await api.call("POST", path, viewer, json={"offer_id": offer["id"]})
    assert status == 400 and body["error"]["code"] == "idempotency_key_required"
    for bad_key in ["", "x" * 65, "tab\there", "é"]:
        status, body = await api.call("POST", path, viewer, json={"offer_id": offer["id"]},
                                      headers={"Idempotency-Key": bad_key})
        assert status in (400, 422) and body["error"]["code"] in ("invalid_idempotency_key",
                                                                   "idempotency_key_required"), bad_key
    for quantity in (0, -1, 1001):
        status, body = await api.tap(viewer, show["id"], offer["id"], quantity=quantity)
        assert status == 422, quantity
    no_method = await api.viewer(payment_method=None)
    status, body = await api.tap(no_method, show["id"], offer["id"])
    assert status == 409 and body["error"]["code"] == "payment_method_required"
    status, body = await api.tap(owner, show["id"], offer["id"])
    assert status == 403
    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert detail["offers"][0]["remaining"] == offer["stock"], "refused taps take nothing"


async def test_same_key_fifty_times_concurrently_is_one_order(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=5)
    viewer = await api.viewer()
    results = await asyncio.gather(*[api.tap(viewer, show["id"], offer["id"], key="tap-42") for _ in range(50)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 49 + [201]
    assert len({body["order"]["id"] for _, body in results}) == 1
    status, other = await api.tap(viewer, show["id"], offer["id"], key="tap-43")
    assert status == 201 and other["order"]["id"] != results[0][1]["order"]["id"]
    status, reused = await api.tap(viewer, show["id"], offer["id"], key="tap-42", quantity=2)
    assert status == 409 and reused["error"]["code"] == "idempotency_key_reused"
    await drained(client, show["id"])
    assert len(await sql_orders(client, show["id"])) == 2


async def test_repeat_after_sell_out_returns_the_original(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=1, limit=1)
    first, second = await api.viewer(), await api.viewer()
    status, original = await api.tap(first, show["id"], offer["id"], key="k1")
    assert status == 201
    assert (await api.tap(second, show["id"], offer["id"]))[0] == 409
    status, again = await api.tap(first, show["id"], offer["id"], key="k1")
    assert status == 200 and again["order"]["id"] == original["order"]["id"] and again["remaining"] == 0


async def test_spike_2000_taps_500_viewers_stock_100(api: Api, client: TestClient) -> None:
    """Exactly the stock is sold, limits hold, every 201 is in SQL once, Redis is at 0, reconcile is clean."""
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=100, limit=2)
    viewers = await asyncio.gather(*[api.viewer(f"v{i}") for i in range(500)])
    taps = [viewers[i % 500] for i in range(2000)]
    results = await asyncio.gather(*[api.tap(v, show["id"], offer["id"]) for v in taps])
    won = [(viewer, body["order"]) for viewer, (status, body) in zip(taps, results, strict=True) if status == 201]
    refused = {body["error"]["code"] for status, body in results if status != 201}
    assert all(status in (201, 409) for status, _ in results)
    assert refused <= {"sold_out", "limit_reached"}
    assert sum(order["quantity"] for _, order in won) == 100
    per_buyer: dict[str, int] = {}
    for viewer, order in won:
        per_buyer[viewer.id] = per_buyer.get(viewer.id, 0) + order["quantity"]
    assert max(per_buyer.values()) <= 2
    await drained(client, show["id"])
    rows = await sql_orders(client, show["id"])
    assert sorted(r.id for r in rows) == sorted(order["id"] for _, order in won), "every 201 in SQL, once"
    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert detail["offers"][0]["remaining"] == 0
    balance = (await assert_reconciled(client, show["id"]))[0]
    assert balance.reserved + balance.paid == 100
