"""A show's results from real orders (paid and declined, through the HTTP app and the payment sandbox) and
real viewers (socket.io clients joining the live room): the numbers the merchant's dashboard shows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from live import keys
from live.realtime.presence import ViewerStats
from live.results import conversion
from tests.helpers import Actor, Api, eventually
from tests.realtime.conftest import Socket


async def results_of(api: Api, actor: Actor, show_id: str) -> dict[str, Any]:
    _, body = await api.call("GET", f"/api/shows/{show_id}/results", actor, expect=200)
    return dict(body)


async def settled(api: Api, actor: Actor, show_id: str, paid: int, failed: int = 0) -> dict[str, Any]:
    """Results once the persistence worker has written every order with its final status."""
    async def check() -> dict[str, Any] | None:
        body = await results_of(api, actor, show_id)
        counts = body["orders"]
        return body if (counts["paid"], counts["payment_failed"], counts["reserved"]) == (paid, failed, 0) else None

    return dict(await eventually(check))


async def test_results_of_a_show_with_viewers_paid_and_declined_orders(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    host = await api.host(owner)
    show = await api.show(owner, host)
    sneakers = await api.product(owner, title="Sneakers", inventory=50)
    bag = await api.product(owner, title="Bag", inventory=50)
    a = await api.offer(owner, show["id"], sneakers["id"], price_cents=5900, stock=10, per_buyer_limit=3)
    b = await api.offer(owner, show["id"], bag["id"], price_cents=3900, stock=5, per_buyer_limit=1)
    await api.call("POST", f"/api/shows/{show['id']}/start", host, expect=200)

    ann, bob = await api.viewer("Ann"), await api.viewer("Bob")
    declined = await api.viewer("Dee", payment_method="pm_card_declined")
    watchers = [Socket(str(client.make_url("/"))) for _ in range(3)]
    try:
        for watcher, viewer in zip(watchers, (ann, bob, declined), strict=True):
            await watcher.connect(viewer)
            await watcher.join(show["id"])
        for viewer, offer, quantity in ((ann, a, 2), (ann, b, 1), (bob, a, 1), (declined, a, 1)):
            status, body = await api.tap(viewer, show["id"], offer["id"], quantity=quantity)
            assert status == 201, body
        await settled(api, owner, show["id"], paid=3, failed=1)
        result = await eventually(lambda: _with_viewers(api, owner, show["id"], 3))
    finally:
        for watcher in watchers:
            await watcher.close()

    assert result["orders"] == {"total": 4, "reserved": 0, "paid": 3, "payment_failed": 1, "expired": 0}
    assert result["units_sold"] == 4, "the declined unit is not sold"
    assert result["revenue"] == [{"currency": "USD", "amount_cents": 3 * 5900 + 3900}]
    assert result["buyers"] == 2
    assert (result["peak_viewers"], result["unique_viewers"]) == (3, 3)
    assert result["conversion"] == round(2 / 3, 4)
    by_offer = {o["offer_id"]: o for o in result["offers"]}
    assert [o["offer_id"] for o in result["offers"]] == [a["id"], b["id"]], "lineup order"
    assert by_offer[a["id"]] | {"title": "Sneakers"} == {
        "offer_id": a["id"], "product_id": sneakers["id"], "title": "Sneakers", "currency": "USD",
        "price_cents": 5900, "stock": 10, "orders": 2, "units_sold": 3, "revenue_cents": 3 * 5900, "buyers": 2}
    assert (by_offer[b["id"]]["units_sold"], by_offer[b["id"]]["revenue_cents"]) == (1, 3900)
    minutes = result["minutes"]
    assert sum(m["orders"] for m in minutes) == 3 and sum(m["units"] for m in minutes) == 4
    assert max(m["viewers"] for m in minutes) == 3
    assert await results_of(api, host, show["id"]) == result, "the show's host sees the same results"


async def _with_viewers(api: Api, actor: Actor, show_id: str, peak: int) -> dict[str, Any] | None:
    body = await results_of(api, actor, show_id)
    return body if body["peak_viewers"] == peak and body["unique_viewers"] == peak else None


async def test_an_empty_show_has_zero_results_and_no_conversion(api: Api) -> None:
    owner = await api.merchant()
    show = await api.show(owner)
    product = await api.product(owner, title="Lamp")
    offer = await api.offer(owner, show["id"], product["id"], price_cents=1000, stock=3)
    result = await results_of(api, owner, show["id"])
    assert result | {"offers": None, "started_at": None} == {
        "show_id": show["id"], "title": show["title"], "state": "scheduled", "started_at": None,
        "ended_at": None, "peak_viewers": 0, "unique_viewers": 0,
        "orders": {"total": 0, "reserved": 0, "paid": 0, "payment_failed": 0, "expired": 0},
        "units_sold": 0, "revenue": [], "buyers": 0, "conversion": None, "offers": None, "minutes": [],
        "by_source": [{"kind": "direct", "source": "direct", "display_name": None, "viewers": 0, "buyers": 0,
                       "orders": 0, "revenue_cents": 0, "conversion": None}],
        "complaints": {"total": 0, "open": 0, "answered": 0, "resolved": 0, "declined": 0, "refunded_cents": 0,
                       "median_first_answer_seconds": None}}
    assert [(o["offer_id"], o["units_sold"], o["revenue_cents"]) for o in result["offers"]] == [(offer["id"], 0, 0)]


async def test_minutes_are_contiguous_with_gaps_as_zero(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=2)
    stats = ViewerStats(client.app[keys.sessionmaker_key], client.app[keys.redis_key], client.app[keys.redis_keys_key])
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await stats.observe(show["id"], 4, now=now - timedelta(minutes=4, seconds=-10))
    await stats.observe(show["id"], 7, now=now - timedelta(minutes=2))  # closes the first minute
    await stats.finish(show["id"])
    buyer = await api.viewer()
    assert (await api.tap(buyer, show["id"], offer["id"], quantity=2))[0] == 201
    result = await settled(api, owner, show["id"], paid=1)

    minutes = result["minutes"]
    times = [datetime.fromisoformat(m["minute"]) for m in minutes]
    assert times[0] == now - timedelta(minutes=4)
    assert all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(times)), "no holes"
    assert [m["viewers"] for m in minutes[:4]] == [4, 0, 7, 0]
    assert (sum(m["orders"] for m in minutes), minutes[-1]["units"]) == (1, 2), "the order is in the last minute"
    assert result["peak_viewers"] == 7 and result["conversion"] == 1.0, "a buyer counts as a viewer"


async def test_results_of_an_unknown_show_are_404(api: Api) -> None:
    owner = await api.merchant()
    status, body = await api.call("GET", "/api/shows/shw_00000000000000000000000/results", owner)
    assert status == 404 and body["error"]["code"] == "not_found"


def test_conversion_never_divides_by_zero_nor_passes_one() -> None:
    assert conversion(0, 0) is None
    assert conversion(0, 10) == 0.0
    assert conversion(1, 4) == 0.25
    assert conversion(3, 2) == 1.0
