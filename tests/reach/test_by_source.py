"""Results by source: real socket.io viewers joining with their attribution and real attributed orders;
the rows must match the orders in SQL."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import Order
from live import keys
from tests.api.test_results import settled
from tests.helpers import Api, eventually
from tests.reach.reach import affiliate, attributed_tap
from tests.realtime.conftest import Socket


async def test_results_by_source_match_the_orders(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=20, limit=5, price_cents=1500)
    aff, _ = await affiliate(api, owner, name="Ann")
    idle, _ = await affiliate(api, owner, name="Idle")
    ann, bea, cat = await api.viewer("A"), await api.viewer("B"), await api.viewer("C")
    declined = await api.viewer("D", payment_method="pm_card_declined")
    joins = [
        (ann, {"ref": aff["code"]}),
        (bea, {"utm": {"utm_source": "insta", "utm_campaign": "spring"}}),
        (cat, {}),
        (None, {"ref": aff["code"], "utm": {"utm_source": "insta"}}),  # an anonymous watcher from both
    ]
    sockets = [Socket(str(client.make_url("/"))) for _ in joins]
    try:
        for socket, (viewer, attribution) in zip(sockets, joins, strict=True):
            await socket.connect(viewer, name=None if viewer else "Anon")
            snapshot = await socket.call("join", {"show_id": show["id"], **attribution})
            assert "error" not in snapshot, snapshot
        bad = await sockets[2].call("join", {"show_id": show["id"], "ref": "NOT A CODE"})
        assert bad["error"]["code"] == "validation_error"
    finally:
        for socket in sockets:
            await socket.close()

    await attributed_tap(api, ann, show["id"], offer["id"], ref=aff["code"], quantity=2)
    await attributed_tap(api, bea, show["id"], offer["id"], utm={"utm_source": "insta"})
    await attributed_tap(api, cat, show["id"], offer["id"])
    await attributed_tap(api, cat, show["id"], offer["id"], ref=aff["code"], utm={"utm_source": "insta"})
    await attributed_tap(api, declined, show["id"], offer["id"], ref=aff["code"])
    await settled(api, owner, show["id"], paid=4, failed=1)

    async def rows() -> dict[tuple[str, str], dict] | None:
        _, body = await api.call("GET", f"/api/shows/{show['id']}/results", owner, expect=200)
        found = {(r["kind"], r["source"]): r for r in body["by_source"]}
        return found if found.get(("direct", "direct"), {}).get("viewers") == 1 else None

    by = await eventually(rows)
    assert list(by) == [("affiliate", aff["code"]), ("utm_source", "insta"), ("direct", "direct")], \
        "an affiliate who brought nobody has no row"
    assert by[("affiliate", aff["code"])] == {
        "kind": "affiliate", "source": aff["code"], "display_name": "Ann", "viewers": 2, "buyers": 2, "orders": 2,
        "revenue_cents": 3 * 1500, "conversion": 1.0}
    assert by[("utm_source", "insta")] | {"display_name": None} == {
        "kind": "utm_source", "source": "insta", "display_name": None, "viewers": 2, "buyers": 2, "orders": 2,
        "revenue_cents": 2 * 1500, "conversion": 1.0}
    assert by[("direct", "direct")]["orders"] == 1 and by[("direct", "direct")]["buyers"] == 1

    async with client.app[keys.sessionmaker_key]() as session:
        paid = list(await session.scalars(select(Order).where(Order.show_id == show["id"], Order.status == "paid")))
    assert sum(o.quantity * o.price_cents for o in paid if o.affiliate_id == aff["id"]) == 3 * 1500
    assert len([o for o in paid if o.affiliate_id is None and o.utm_source is None]) == 1
    assert idle["code"] not in {source for _, source in by}
