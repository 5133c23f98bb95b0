"""Click -> redirect -> attributed tap -> paid -> ledger, through the real HTTP app, the Lua tap, the order
stream, the persistence worker and the payment sandbox; refunds reversed on real ledger rows."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import Order
from live import keys
from live.reach import ledger
from tests.conftest import free_port, make_settings, running_client
from tests.helpers import Api
from tests.reach.reach import affiliate, attributed_tap, ledger_of, ledger_with, no_redirect, paid


async def test_click_redirects_and_keeps_the_attribution(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    product = await api.product(owner)
    aff, account = await affiliate(api, owner)

    status, location, cookie = await no_redirect(
        client, f"/r/{aff['code']}?show={show['id']}&utm_source=insta&utm_campaign=spring&fbclid=abc")
    assert status == 302
    url = urlsplit(location)
    assert url.path == f"/watch/{show['id']}"
    assert parse_qs(url.query) == {"ref": [aff["code"]], "utm_source": ["insta"], "utm_campaign": ["spring"]}
    assert cookie is not None and parse_qs(unquote(cookie)) == parse_qs(url.query), "the cookie keeps the same"

    status, location, _ = await no_redirect(client, f"/r/{aff['code']}?product={product['id']}")
    assert (status, urlsplit(location).path) == (302, f"/p/{product['id']}")
    status, location, _ = await no_redirect(client, f"/r/{aff['code']}")
    assert (status, urlsplit(location).path) == (302, f"/watch/{show['id']}"), "the merchant's live show"

    other = await api.merchant("Other")
    foreign, _ = await api.live_show(other)
    assert (await no_redirect(client, f"/r/{aff['code']}?show={foreign['id']}"))[0] == 404
    assert (await no_redirect(client, "/r/nosuchcode"))[0] == 404

    _, me = await api.call("GET", "/api/affiliates/me", account, expect=200)
    assert me["stats"]["clicks"] == 3, "the three links that led somewhere"


async def test_percent_and_lead_then_no_lead_for_the_same_buyer(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=5, price_cents=1999)
    aff, aff_account = await affiliate(api, owner, percent=10, per_new_buyer_cents=500)
    buyer = await api.viewer("Buyer")

    first = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"], utm={"utm_source": "tiktok"})
    await paid(api, buyer, first["id"])
    body = await ledger_with(api, owner, aff["id"], 2)
    by_kind = {e["kind"]: e for e in body["entries"]}
    assert by_kind["percent"]["amount_cents"] == 199, "10% of 19.99 rounded down to the cent"
    assert by_kind["lead"]["amount_cents"] == 500
    assert {e["order_id"] for e in body["entries"]} == {first["id"]}

    second = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"], quantity=2)
    await paid(api, buyer, second["id"])
    body = await ledger_with(api, owner, aff["id"], 3)
    assert [(e["order_id"], e["kind"], e["amount_cents"]) for e in body["entries"] if e["order_id"] == second["id"]] \
        == [(second["id"], "percent", 399)], "a second order of the same buyer earns no lead fee"
    assert body["totals"] == {"pending": 199 + 500 + 399, "earned": 0, "reversed": 0}, "inside the hold period"
    _, mine = await api.call("GET", "/api/affiliates/me/ledger", aff_account, expect=200)
    assert mine == body, "the affiliate reads the same ledger"

    async with client.app[keys.sessionmaker_key]() as session:
        row = await session.get(Order, first["id"])
        assert row is not None
        assert (row.affiliate_id, row.utm_source, row.utm_medium) == (aff["id"], "tiktok", None)


async def test_a_buyer_who_bought_before_brings_no_lead(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=5, price_cents=1000)
    aff, _ = await affiliate(api, owner, percent=5, per_new_buyer_cents=300)
    buyer = await api.viewer()
    direct = await attributed_tap(api, buyer, show["id"], offer["id"])
    await paid(api, buyer, direct["id"])
    later = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"])
    await paid(api, buyer, later["id"])
    body = await ledger_with(api, owner, aff["id"], 1)
    assert [(e["kind"], e["amount_cents"]) for e in body["entries"]] == [("percent", 50)]


async def test_new_terms_apply_to_new_orders_only(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=5, price_cents=1000)
    aff, _ = await affiliate(api, owner, percent=10, per_new_buyer_cents=0)
    buyer = await api.viewer()
    before = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"])
    _, changed = await api.call("PATCH", f"/api/merchants/me/affiliates/{aff['id']}", owner,
                                json={"commission": {"percent": 20.5, "per_new_buyer_cents": 0}}, expect=200)
    assert changed["affiliate"]["commission"]["percent"] == 20.5
    after = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"])
    await paid(api, buyer, before["id"])
    await paid(api, buyer, after["id"])
    body = await ledger_with(api, owner, aff["id"], 2)
    assert {e["order_id"]: e["amount_cents"] for e in body["entries"]} == {before["id"]: 100, after["id"]: 205}


async def test_self_referral_earns_nothing(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=5, price_cents=1000)
    aff, account = await affiliate(api, owner)
    _, patched = await api.call("PATCH", "/api/viewers/me", account, json={"payment_method": "pm_card_visa"},
                                expect=200)
    account.token = patched["token"]
    own = await attributed_tap(api, account, show["id"], offer["id"], ref=aff["code"])
    await paid(api, account, own["id"])
    buyer = await api.viewer()
    other = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"])
    await paid(api, buyer, other["id"])
    body = await ledger_with(api, owner, aff["id"], 2)
    assert {e["order_id"] for e in body["entries"]} == {other["id"]}, "the affiliate's own order earns nothing"
    async with client.app[keys.sessionmaker_key]() as session:
        row = await session.get(Order, own["id"])
        assert row is not None and row.affiliate_id == aff["id"], "the order still records who referred it"


async def test_an_inactive_or_foreign_code_attributes_nothing(api: Api, client: TestClient) -> None:
    owner, other = await api.merchant(), await api.merchant("Other")
    show, offer = await api.live_show(owner, stock=10, limit=5)
    foreign, _ = await affiliate(api, other)
    gone, _ = await affiliate(api, owner)
    await api.call("DELETE", f"/api/merchants/me/affiliates/{gone['id']}", owner, expect=200)
    buyer = await api.viewer()
    orders = [await attributed_tap(api, buyer, show["id"], offer["id"], ref=code)
              for code in (foreign["code"], gone["code"])]
    for order in orders:
        await paid(api, buyer, order["id"])
    async with client.app[keys.sessionmaker_key]() as session:
        rows = list(await session.scalars(select(Order).where(Order.id.in_([o["id"] for o in orders]))))
    assert [r.affiliate_id for r in rows] == [None, None]
    assert (await ledger_of(api, other, foreign["id"]))["entries"] == []
    assert (await no_redirect(client, f"/r/{gone['code']}"))[0] == 404, "a deactivated link leads nowhere"


async def test_refunds_reverse_proportionally_and_in_full(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=5, price_cents=3333)
    aff, _ = await affiliate(api, owner, percent=10, per_new_buyer_cents=100)
    buyer = await api.viewer()
    order = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"], quantity=3)  # 99.99
    await paid(api, buyer, order["id"])
    await ledger_with(api, owner, aff["id"], 2)  # 999 + 100 = 1099 of commission

    async def refund(cents: int) -> None:
        async with client.app[keys.sessionmaker_key]() as session:
            await ledger.record_reversal(session, order_id=order["id"], refunded_cents=cents)
            await session.commit()

    await refund(3333)  # a third of the order: 1099 / 3 = 366.33 -> 366; two thirds: 732.67 -> 732
    body = await ledger_of(api, owner, aff["id"])
    assert [e["amount_cents"] for e in body["entries"] if e["kind"] == "reversal"] == [-366]
    await refund(3333)
    await refund(3333)  # the rest: everything is reversed, not a cent more or less
    body = await ledger_of(api, owner, aff["id"])
    assert [e["amount_cents"] for e in body["entries"] if e["kind"] == "reversal"] == [-366, -366, -367]
    assert sum(e["amount_cents"] for e in body["entries"]) == 0
    assert body["totals"] == {"pending": 1099, "earned": 0, "reversed": 1099}
    await refund(100)  # past the order's amount: nothing more to take back
    body = await ledger_of(api, owner, aff["id"])
    assert sum(e["amount_cents"] for e in body["entries"]) == 0


async def test_a_merchants_refund_of_a_complaint_reverses_the_commission(api: Api, client: TestClient) -> None:
    """The whole path: a refund the merchant grants through the complaints API writes the reversal."""
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=5, price_cents=2000)
    aff, _ = await affiliate(api, owner, percent=10, per_new_buyer_cents=0)
    buyer = await api.viewer()
    order = await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"])
    await paid(api, buyer, order["id"])
    await ledger_with(api, owner, aff["id"], 1)  # 10% of 20.00
    _, issue = await api.call("POST", f"/api/orders/{order['id']}/issues", buyer,
                              json={"kind": "damaged", "text": "Cracked"}, expect=201)
    await api.call("POST", f"/api/order-issues/{issue['id']}/resolve", owner, json={"refund_cents": 1000},
                   expect=200)
    body = await ledger_of(api, owner, aff["id"])
    assert [(e["kind"], e["amount_cents"]) for e in body["entries"]] == [("percent", 200), ("reversal", -100)]
    assert body["totals"]["reversed"] == 100


async def test_an_order_without_commission_has_nothing_to_reverse(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    buyer = await api.viewer()
    order = await attributed_tap(api, buyer, show["id"], offer["id"])
    await paid(api, buyer, order["id"])
    async with client.app[keys.sessionmaker_key]() as session:
        await ledger.record_reversal(session, order_id=order["id"], refunded_cents=500)
        await session.commit()
        assert await ledger.entries_of(session, ["aff_none"]) == []


def test_rounding_rules() -> None:
    assert ledger.percent_commission(1999, 1000) == 199
    assert ledger.percent_commission(1, 9999) == 0
    assert ledger.percent_commission(10_000, 250) == 250
    assert ledger.reversal_due(100, 0, 300, 100) == 33
    assert ledger.reversal_due(100, 33, 300, 200) == 33
    assert ledger.reversal_due(100, 66, 300, 300) == 34
    assert ledger.reversal_due(100, 100, 300, 400) == 0


@pytest.fixture
async def paying_client(aiohttp_client, services, tmp_path: Path) -> AsyncIterator[TestClient]:
    """No hold period: commission counts as earned at once (and goes into the payouts)."""
    settings = make_settings(services, tmp_path / "data", port=free_port(), commission_hold_days=0)
    async with running_client(aiohttp_client, settings) as client:
        yield client


async def test_payouts_csv_matches_the_ledger(paying_client: TestClient) -> None:
    api = Api(paying_client)
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=20, limit=10, price_cents=2500)
    ann, _ = await affiliate(api, owner, percent=12.5, per_new_buyer_cents=200, name="=Ann")
    bob, _ = await affiliate(api, owner, percent=0, per_new_buyer_cents=300, name="Bob")
    _idle, _ = await affiliate(api, owner, name="Idle")
    buyers = [await api.viewer(f"B{i}") for i in range(3)]
    plan = [(buyers[0], ann, 2), (buyers[0], ann, 1), (buyers[1], ann, 1), (buyers[2], bob, 3)]
    orders = []
    for buyer, aff, quantity in plan:
        orders.append(await attributed_tap(api, buyer, show["id"], offer["id"], ref=aff["code"], quantity=quantity))
    for (buyer, _, _), order in zip(plan, orders, strict=True):
        await paid(api, buyer, order["id"])
    await ledger_with(api, owner, ann["id"], 5)
    await ledger_with(api, owner, bob["id"], 1)
    async with paying_client.app[keys.sessionmaker_key]() as session:
        await ledger.record_reversal(session, order_id=orders[1]["id"], refunded_cents=2500)
        await session.commit()

    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    async with paying_client.get("/api/merchants/me/affiliates/payouts.csv", params={"from": start, "to": end},
                                 headers=owner.headers) as response:
        assert response.status == 200 and response.content_type == "text/csv"
        text = await response.text()
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {ann["code"], bob["code"]}, "an affiliate with no entries has no row"
    assert rows[ann["code"]]["display_name"] == "'=Ann", "a name is never a spreadsheet formula"
    for aff in (ann, bob):
        totals = (await ledger_of(api, owner, aff["id"]))["totals"]
        row = rows[aff["code"]]
        assert (int(row["earned_cents"]), int(row["reversed_cents"]), int(row["pending_cents"])) == (
            totals["earned"], totals["reversed"], totals["pending"])
        assert int(row["net_cents"]) == totals["earned"] - totals["reversed"]
    # Ann: 12.5% of 50.00, 25.00, 25.00 (625 + 312 + 312) and two leads; the 25.00 refund takes back its 312.
    assert (int(rows[ann["code"]]["earned_cents"]), int(rows[ann["code"]]["reversed_cents"])) == (1649, 312)
    assert int(rows[bob["code"]]["net_cents"]) == 300

    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    async with paying_client.get("/api/merchants/me/affiliates/payouts.csv", params={"from": end, "to": later},
                                 headers=owner.headers) as response:
        assert len(list(csv.reader(io.StringIO(await response.text())))) == 1, "only the header outside the period"


async def test_bad_queries_and_ids_get_4xx_json(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    aff, account = await affiliate(api, owner)
    for path, status in ((f"/r/{aff['code']}?show=not%20an%20id", 422), (f"/r/{aff['code']}?product=x", 422),
                         (f"/r/{aff['code']}?utm_source=" + "x" * 101, 422),
                         (f"/r/{aff['code']}?show=shw_00000000000000000000000", 404), ("/p/prd_0000000000000", 404)):
        async with client.get(path, allow_redirects=False) as response:
            body = await response.json()
            assert response.status == status and body["error"]["code"] and body["error"]["message"], (path, body)
    for query in ("from=yesterday", "to=2030-13-01", "surprise=1"):
        status, body = await api.call("GET", f"/api/merchants/me/affiliates/payouts.csv?{query}", owner)
        assert status == 422 and body["error"]["code"] == "validation_error", (query, body)
    for method, path in (("GET", "/api/merchants/me/affiliates/aff_0000000000000/ledger"),
                         ("PATCH", "/api/merchants/me/affiliates/aff_0000000000000"),
                         ("DELETE", "/api/merchants/me/affiliates/aff_0000000000000")):
        status, body = await api.call(method, path, owner, json={} if method == "PATCH" else None)
        assert status == 404 and body["error"]["code"] == "not_found", (method, path, body)
    status, body = await api.call("POST", "/api/merchants/me/affiliates", owner, json={
        "display_name": "Again", "email": account.user["email"], "password": "affiliate-pass-1"})
    assert status == 409 and body["error"]["code"] == "email_taken"
    status, body = await api.call("POST", "/api/merchants/me/affiliates", owner, json={
        "display_name": "A", "email": "a@example.com", "password": "affiliate-pass-1",
        "commission": {"percent": 12.345}})
    assert status == 422, "two decimals at most"
