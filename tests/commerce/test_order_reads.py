"""Who may read which orders, and the paginated lists."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.commerce.checks import drained
from tests.helpers import Api


async def test_order_is_visible_to_its_buyer_and_the_shows_merchant_only(api: Api) -> None:
    owner, other_merchant = await api.merchant(), await api.merchant()
    show, offer = await api.live_show(owner)
    buyer, stranger = await api.viewer(), await api.viewer()
    _, body = await api.tap(buyer, show["id"], offer["id"])
    path = f"/api/orders/{body['order']['id']}"
    _, seen = await api.call("GET", path, buyer, expect=200)  # at once: read from Redis, before SQL
    assert seen["id"] == body["order"]["id"]
    await api.call("GET", path, owner, expect=200)
    await api.call("GET", path, stranger, expect=403)
    await api.call("GET", path, other_merchant, expect=403)
    await api.call("GET", path, await api.host(owner), expect=403)
    await api.call("GET", path, None, expect=401)
    await api.call("GET", "/api/orders/ord_nothing_here", buyer, expect=404)
    await api.call("GET", "/api/orders/not-an-order", buyer, expect=404)


async def test_lists_paginate_newest_first(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=20, limit=10)
    buyer, other = await api.viewer("Buyer"), await api.viewer("Other")
    mine = [(await api.tap(buyer, show["id"], offer["id"]))[1]["order"]["id"] for _ in range(5)]
    (await api.tap(other, show["id"], offer["id"]))[1]["order"]["id"]
    await drained(client, show["id"])

    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        _, page = await api.call("GET", f"/api/me/orders{query}", buyer, expect=200)
        seen += [o["id"] for o in page["orders"]]
        assert all(o["buyer_id"] == buyer.id for o in page["orders"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(mine))

    _, page = await api.call("GET", f"/api/shows/{show['id']}/orders?limit=50", owner, expect=200)
    assert len(page["orders"]) == 6 and page["next_cursor"] is None
    by_name = {o["buyer"]["display_name"] for o in page["orders"]}
    assert by_name == {"Buyer", "Other"}
    assert page["orders"][0]["buyer"]["shipping_address"]["city"] == "Town"
    await api.call("GET", f"/api/shows/{show['id']}/orders", await api.merchant(), expect=403)
    await api.call("GET", f"/api/shows/{show['id']}/orders", buyer, expect=403)
    status, bad = await api.call("GET", "/api/me/orders?cursor=%%%", buyer)
    assert status == 422 and bad["error"]["code"] == "invalid_cursor"
    status, bad = await api.call("GET", "/api/me/orders?limit=0", buyer)
    assert status == 422
