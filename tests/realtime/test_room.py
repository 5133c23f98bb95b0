"""The show room with real socket.io clients against the real app: the join snapshot, cards reaching exactly
the show's room, who may do what, bad payloads, reconnecting, and the app signals that become events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import Offer
from live import keys
from live.auth import Principal, TokenService
from live.realtime import protocol
from live.realtime.broadcaster import Broadcaster
from live.realtime.engine import RoomRedisManager, close_pubsub_manager
from live.signals import BroadcastState
from tests.helpers import Api
from tests.realtime.conftest import Socket, SocketFactory


async def test_join_snapshot_has_show_card_stock_viewers_and_chat(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=7)
    second = await api.offer(owner, show["id"], (await api.product(owner, inventory=5))["id"], stock=3)
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"], "pinned": True},
                   expect=201)
    writer = await api.viewer("Writer")
    _, message = await api.call("POST", f"/api/shows/{show['id']}/chat", writer, json={"text": "first!"}, expect=201)

    viewer = await api.viewer("Vi")
    snapshot = await (await sockets(viewer)).join(show["id"])

    assert snapshot["show"]["id"] == show["id"] and snapshot["show"]["state"] == "live"
    assert snapshot["show"]["paused"] is False
    assert snapshot["card"]["id"] == offer["id"] and snapshot["card"]["pinned"] is True
    assert snapshot["card"]["remaining"] == 7 and snapshot["card"]["list_price_cents"] == 2500
    assert snapshot["stock"] == {offer["id"]: 7, second["id"]: 3}
    assert [o["id"] for o in snapshot["offers"]] == [offer["id"], second["id"]]
    assert snapshot["viewers"] == 1
    assert [m["id"] for m in snapshot["chat"]] == [message["id"]]
    assert snapshot["chat"][0]["text"] == "first!" and snapshot["chat"][0]["display_name"] == "Writer"
    assert snapshot["you"] == {"user_id": viewer.id, "display_name": "Vi", "role": "viewer", "staff": False,
                               "muted": False, "can_chat": True}


async def test_chat_tail_keeps_the_last_50(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    for i in range(53):  # the merchant is staff: never slowed down
        await api.call("POST", f"/api/shows/{show['id']}/chat", owner, json={"text": f"m{i}"}, expect=201)
    snapshot = await (await sockets(name="Ann")).join(show["id"])
    assert [m["text"] for m in snapshot["chat"]] == [f"m{i}" for i in range(3, 53)]
    assert snapshot["you"]["role"] == "anonymous" and snapshot["you"]["can_chat"] is False


async def test_card_reaches_every_viewer_of_the_show_and_no_one_else(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    other_show, other_offer = await api.live_show(owner)
    in_room = [await sockets(await api.viewer()) for _ in range(3)] + [await sockets(name="Anonymous")]
    for s in in_room:
        await s.join(show["id"])
    elsewhere = await sockets(await api.viewer())
    await elsewhere.join(other_show["id"])
    not_joined = await sockets(await api.viewer())

    _, pushed = await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]},
                               expect=201)
    for s in in_room:
        event = await s.wait_for("card")
        assert event["card"]["id"] == offer["id"] and event["card"] == pushed["card"]

    # A card in the other show is a barrier: had the first card gone there, it would have arrived before it.
    await api.call("POST", f"/api/shows/{other_show['id']}/cards", owner, json={"offer_id": other_offer["id"]},
                   expect=201)
    await elsewhere.wait_for("card")
    assert [e["card"]["id"] for e in elsewhere.events["card"]] == [other_offer["id"]]
    assert all(len(s.events["card"]) == 1 for s in in_room)
    await asyncio.sleep(0.2)
    assert not_joined.events["card"] == []


async def test_viewer_cannot_act_as_host_and_nothing_is_emitted(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    own_host = await api.host(owner)
    foreign_host = await api.host(await api.merchant())
    show, offer = await api.live_show(owner, host=own_host)
    watcher = await sockets(await api.viewer())
    await watcher.join(show["id"])
    writer = await api.viewer()
    _, message = await api.call("POST", f"/api/shows/{show['id']}/chat", writer, json={"text": "hi"}, expect=201)
    await watcher.wait_for("chat")
    sid = show["id"]
    host_events = [
        ("push_card", {"show_id": sid, "offer_id": offer["id"]}),
        ("unpin_card", {"show_id": sid}),
        ("start_deal", {"show_id": sid, "offer_id": offer["id"], "duration_seconds": 30}),
        ("end_deal", {"show_id": sid, "offer_id": offer["id"]}),
        ("delete_message", {"show_id": sid, "message_id": message["id"]}),
        ("moderate", {"show_id": sid, "user_id": writer.id, "action": "ban"}),
        ("slow_mode", {"show_id": sid, "slow_mode_seconds": 60}),
    ]
    other_host = await api.host(owner)  # a host of the same merchant, but not of this show
    for actor, expected in [(await api.viewer(), "not_host"), (foreign_host, "not_host"), (other_host, "not_host"),
                            (None, "sign_in_required")]:
        s = await sockets(actor, name="Anon") if actor is None else await sockets(actor)
        await s.join(sid)
        for event, payload in host_events:
            ack = await s.call(event, payload)
            assert ack["error"]["code"] == expected, (event, ack)
            assert ack["error"]["message"]

    # Nothing happened: the writer can still chat, the sale window is untouched, and the watcher's next card
    # and chat events are the host's and the writer's.
    async with api.client.app[keys.sessionmaker_key]() as session:
        stored = await session.scalar(select(Offer).where(Offer.id == offer["id"]))
        assert stored is not None and stored.sale_ends_at is None
    host_socket = await sockets(own_host)
    ack = await host_socket.call("push_card", {"show_id": sid, "offer_id": offer["id"]})
    assert ack["card"]["id"] == offer["id"]
    await watcher.wait_for("card")
    assert len(watcher.events["card"]) == 1
    for name in ("chat_removed", "moderated", "show"):
        assert watcher.events[name] == []
    await asyncio.sleep(1.0)  # the writer's one-message-a-second turn
    _, still = await api.call("POST", f"/api/shows/{sid}/chat", writer, json={"text": "still here"}, expect=201)
    assert (await watcher.wait_for("chat", lambda e: e["message"]["id"] == still["id"]))


async def test_bad_payloads_get_an_error_ack_and_the_socket_lives_on(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    s = await sockets(await api.viewer())
    cases = [
        ("join", None, "validation_error"),
        ("join", "a string", "validation_error"),
        ("join", {"show_id": 5}, "validation_error"),
        ("join", {"show_id": show["id"], "extra": 1}, "validation_error"),
        ("join", {"show_id": "shw_00000000000000000000000"}, "not_found"),
        ("join", {"show_id": "../../etc"}, "validation_error"),
        ("chat", {"show_id": show["id"], "text": "hi"}, "not_joined"),
        ("teleport", {}, "unknown_event"),
        ("push_card", [1, 2, 3], "validation_error"),
    ]
    for event, payload, code in cases:
        ack = await s.call(event, payload)
        assert ack["error"]["code"] == code, (event, payload, ack)
    await s.join(show["id"])
    for text in ["", "x" * 301, "bell\x07"]:
        ack = await s.call("chat", {"show_id": show["id"], "text": text})
        assert ack["error"]["code"] == "validation_error", (text, ack)
    ack = await s.call("chat", {"show_id": show["id"], "text": "x" * 300})
    assert ack["message"]["text"] == "x" * 300


async def test_bad_tokens_are_refused_at_connect(client: TestClient, api: Api) -> None:
    url = str(client.make_url("/"))
    expired = TokenService(client.app[keys.settings_key].resolved_secret_key(), -10).issue(
        Principal("usr_0a", "viewer", None, "Old"))
    cases = [({"token": "not-a-jwt"}, "invalid_token"), ({"token": expired}, "token_expired"),
             ({"token": 5}, "validation_error"), ({"name": "x" * 81}, "validation_error"), ("text", None)]
    for auth, code in cases:
        refused = socketio.AsyncClient(reconnection=False)
        errors: list[Any] = []
        refused.on("connect_error", errors.append)
        if code is None:  # not an object: treated as no auth at all, i.e. an anonymous watcher
            await refused.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
            await refused.disconnect()
            continue
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
        assert errors and errors[0]["data"]["code"] == code, (auth, errors)
        assert errors[0]["message"]


async def test_the_pages_cookie_signs_in_only_from_our_own_origin(client: TestClient, api: Api) -> None:
    viewer = await api.viewer("Cookie")
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    url = str(client.make_url("/"))
    for origin, role in [(None, "viewer"), (url.rstrip("/"), "viewer"), ("https://evil.example", None)]:
        headers = {"Cookie": f"live_token={viewer.token}"}
        if origin:
            headers["Origin"] = origin
        sio = socketio.AsyncClient(reconnection=False)
        try:
            await sio.connect(url, headers=headers, transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            assert role is None, origin  # a foreign origin is refused outright (CORS)
            continue
        snapshot = await sio.call("join", {"show_id": show["id"]}, timeout=5)
        assert snapshot["you"]["role"] == role, origin
        await sio.disconnect()


async def test_reconnecting_client_rejoins_and_gets_a_fresh_snapshot(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    viewer = await api.viewer()
    first = await sockets(viewer)
    assert (await first.join(show["id"]))["card"] is None
    await first.close()
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
    again = await sockets(viewer)
    snapshot = await again.join(show["id"])
    assert snapshot["card"]["id"] == offer["id"]
    assert snapshot["viewers"] == 1


async def test_a_client_event_named_disconnect_changes_nothing(api: Api, sockets: SocketFactory,
                                                               client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    s = await sockets(await api.viewer())
    await s.join(show["id"])
    await s.sio.emit("disconnect", "client disconnect")
    await s.sio.emit("connect", {})
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
    await s.wait_for("card")
    assert (await s.call("chat", {"show_id": show["id"], "text": "still here"}))["message"]


async def test_show_state_and_on_air_changes_become_show_events(api: Api, sockets: SocketFactory,
                                                                client: TestClient) -> None:
    owner = await api.merchant()
    product = await api.product(owner)
    show = await api.show(owner)
    await api.offer(owner, show["id"], product["id"], stock=4)
    s = await sockets(name="Early")
    waiting = await s.join(show["id"])
    assert waiting["show"]["state"] == "scheduled" and list(waiting["stock"].values()) == [4]

    await api.call("POST", f"/api/shows/{show['id']}/start", owner, expect=200)
    assert (await s.wait_for("show"))["show"]["state"] == "live"
    await client.app[keys.broadcast_changed_key].send(BroadcastState(show["id"], on_air=False))
    paused = await s.wait_for("show", lambda e: e["show"]["paused"])
    assert paused["show"]["state"] == "live"
    assert (await (await sockets(name="Late")).join(show["id"]))["show"]["paused"] is True
    await client.app[keys.broadcast_changed_key].send(BroadcastState(show["id"], on_air=True))
    await s.wait_for("show", lambda e: e["show"]["paused"] is False and e is not paused)
    await api.call("POST", f"/api/shows/{show['id']}/end", owner, expect=200)
    assert (await s.wait_for("show", lambda e: e["show"]["state"] == "ended"))["show"]["ended_at"]


async def test_order_events_go_to_the_buyer_only(api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    buyer, other = await api.viewer(), await api.viewer()
    buyer_socket, second_tab = await sockets(buyer), await sockets(buyer)
    other_socket = await sockets(other)
    await buyer_socket.join(show["id"])
    await other_socket.join(show["id"])  # the buyer's second tab has not joined any show: it still hears
    order = {"id": "ord_1", "show_id": show["id"], "buyer_id": buyer.id, "status": "paid", "offer_id": offer["id"],
             "quantity": 1, "price_cents": 1999, "currency": "USD",
             "expires_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(), "failure_code": None}
    await client.app[keys.orders_changed_key].send([order])
    assert (await buyer_socket.wait_for("order"))["order"] == order
    assert (await second_tab.wait_for("order"))["order"] == order
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
    await other_socket.wait_for("card")
    assert other_socket.events["order"] == []

    # A process without sockets (a worker) emits through a write-only manager: it reaches the buyer too.
    settings, redis_keys = client.app[keys.settings_key], client.app[keys.redis_keys_key]
    paid = {**order, "status": "expired", "failure_code": "payment_timeout"}
    manager = RoomRedisManager(settings.redis_url or "", channel=redis_keys.socketio_channel, write_only=True)

    async def everywhere(event: str, data: Any, room: str) -> None:
        await manager.emit(event, data, namespace=protocol.NAMESPACE, room=room)

    try:
        await Broadcaster(everywhere).order(paid)
    finally:
        await close_pubsub_manager(manager)
    assert (await buyer_socket.wait_for("order", lambda e: e["order"]["status"] == "expired"))["order"] == paid


async def test_a_real_tap_is_followed_by_the_paid_order_on_the_buyers_socket(
        api: Api, sockets: SocketFactory) -> None:
    """The whole way: HTTP tap -> Redis -> persistence -> payment capture -> signal -> the buyer's socket."""
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    buyer = await api.viewer(payment_method="pm_card_visa")
    buyer_socket = await sockets(buyer)
    await buyer_socket.join(show["id"])
    status, body = await api.tap(buyer, show["id"], offer["id"])
    assert status == 201
    event = await buyer_socket.wait_for("order", lambda e: e["order"]["status"] == "paid")
    assert event["order"]["id"] == body["order"]["id"] and event["order"]["buyer_id"] == buyer.id


async def test_polling_transport_works_too(api: Api, sockets: SocketFactory, client: TestClient) -> None:
    """The official JS client starts on long-polling: everything works before (or without) the upgrade."""
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    s: Socket = await sockets(await api.viewer(), transports=["polling"])
    await s.join(show["id"])
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
    assert (await s.wait_for("card"))["card"]["id"] == offer["id"]
    # The server closes the session: python-engineio's polling client would wait ~30 s for its last poll.
    await client.app[keys.sio_key].eio.disconnect(s.sio.eio.sid)
    while s.sio.connected:
        await asyncio.sleep(0.02)
