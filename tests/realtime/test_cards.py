"""Cards and flash deals: what a card carries, unpinning, and a deal's sale window in SQL and in the offer's
terms in Redis (which the tap path reads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient

from db.models import Offer, Review
from live import keys
from live.ids import new_id
from tests.helpers import Api
from tests.realtime.conftest import SocketFactory


async def _terms(client: TestClient, show_id: str, offer_id: str) -> dict[str, str]:
    redis_keys = client.app[keys.redis_keys_key]
    return dict(await client.app[keys.redis_key].hgetall(redis_keys.show(show_id).offer(offer_id)))


async def test_a_card_carries_what_the_viewer_needs(api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=9, limit=3)
    async with client.app[keys.sessionmaker_key]() as session:
        for rating in (4, 5):
            viewer = await api.viewer()
            session.add(Review(id=new_id("rev"), product_id=offer["product_id"], user_id=viewer.id, rating=rating))
        await session.commit()
    s = await sockets(await api.viewer())
    await s.join(show["id"])
    _, pushed = await api.call("POST", f"/api/shows/{show['id']}/cards", owner,
                               json={"offer_id": offer["id"], "pinned": True}, expect=201)
    card = (await s.wait_for("card"))["card"]
    assert card == pushed["card"]
    assert card["title"] == "Thing" and card["price_cents"] == 1999 and card["list_price_cents"] == 2500
    assert card["remaining"] == 9 and card["per_buyer_limit"] == 3 and card["pinned"] is True
    assert card["rating"] == 4.5 and card["reviews"] == 2
    assert card["on_sale"] is True and card["deal_ends_at"] is None and card["pushed_at"]
    assert "image_url" in card

    _, unpinned = await api.call("DELETE", f"/api/shows/{show['id']}/cards/current", owner, expect=200)
    assert unpinned == {"card": None}
    assert (await s.wait_for("card", lambda e: e["card"] is None))["show_id"] == show["id"]
    assert (await s.call("join", {"show_id": show["id"]}))["card"] is None


async def test_cards_need_a_live_show_and_an_offer_of_it(api: Api) -> None:
    owner = await api.merchant()
    show = await api.show(owner)
    offer = await api.offer(owner, show["id"], (await api.product(owner))["id"])
    status, body = await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]})
    assert status == 409 and body["error"]["code"] == "show_not_live"
    live, _ = await api.live_show(owner)
    status, body = await api.call("POST", f"/api/shows/{live['id']}/cards", owner, json={"offer_id": offer["id"]})
    assert status == 404, "an offer of another show"
    status, body = await api.call("POST", "/api/shows/shw_00000000000000000000000/cards", owner,
                                  json={"offer_id": offer["id"]})
    assert status == 404


async def test_a_flash_deal_opens_and_closes_the_sale_window(api: Api, sockets: SocketFactory,
                                                              client: TestClient) -> None:
    owner = await api.merchant()
    host = await api.host(owner)
    show, offer = await api.live_show(owner, host=host)
    s = await sockets(await api.viewer())
    await s.join(show["id"])
    host_socket = await sockets(host)
    before = datetime.now(UTC)
    ack = await host_socket.call("start_deal", {"show_id": show["id"], "offer_id": offer["id"],
                                                "duration_seconds": 120})
    card = ack["card"]
    ends = datetime.fromisoformat(card["deal_ends_at"])
    assert card["pinned"] is True and card["on_sale"] is True
    assert before + timedelta(seconds=119) <= ends <= datetime.now(UTC) + timedelta(seconds=121)
    assert (await s.wait_for("card"))["card"] == card
    terms = await _terms(client, show["id"], offer["id"])
    assert int(terms["ends_ms"]) == int(ends.timestamp() * 1000)
    assert 0 < int(terms["starts_ms"]) <= int(datetime.now(UTC).timestamp() * 1000)
    async with client.app[keys.sessionmaker_key]() as session:
        stored = await session.get(Offer, offer["id"])
        assert stored is not None and stored.sale_ends_at == ends

    _, ended = await api.call("DELETE", f"/api/shows/{show['id']}/offers/{offer['id']}/deal", host, expect=200)
    assert ended["card"]["on_sale"] is False and ended["card"]["pinned"] is True
    closed = await s.wait_for("card", lambda e: e["card"]["on_sale"] is False)
    assert closed["card"]["deal_ends_at"] == ended["card"]["deal_ends_at"]
    terms = await _terms(client, show["id"], offer["id"])
    assert int(terms["ends_ms"]) <= int(datetime.now(UTC).timestamp() * 1000)
    snapshot = await s.call("join", {"show_id": show["id"]})
    assert snapshot["card"]["on_sale"] is False and snapshot["offers"][0]["sale_ends_at"]


async def test_a_card_pushed_with_a_deal_end_starts_the_deal(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    ends = datetime.now(UTC) + timedelta(minutes=3)
    _, body = await api.call("POST", f"/api/shows/{show['id']}/cards", owner,
                             json={"offer_id": offer["id"], "deal_ends_at": ends.isoformat()}, expect=201)
    assert datetime.fromisoformat(body["card"]["deal_ends_at"]) == ends
    assert int((await _terms(client, show["id"], offer["id"]))["ends_ms"]) == int(ends.timestamp() * 1000)
    for bad in (datetime.now(UTC) - timedelta(seconds=5), datetime.now(UTC) + timedelta(days=2)):
        status, error = await api.call("POST", f"/api/shows/{show['id']}/cards", owner,
                                       json={"offer_id": offer["id"], "deal_ends_at": bad.isoformat()})
        assert status == 422 and error["error"]["code"] in ("deal_in_past", "deal_too_long")
    status, error = await api.call("POST", f"/api/shows/{show['id']}/offers/{offer['id']}/deal", owner,
                                   json={"duration_seconds": 2})
    assert status == 422
