"""Chat and its moderation with real socket.io clients: messages stored and broadcast, slow mode, blocked words,
removing a message, mute and ban."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import ChatMessage, ShowModeration
from live import keys
from tests.helpers import Actor, Api
from tests.realtime.conftest import Socket, SocketFactory


async def _room(api: Api) -> tuple[Actor, dict, dict]:
    """A merchant hosting a live show with one offer."""
    owner = await api.merchant()
    show, offer = await api.live_show(owner)
    return owner, show, offer


async def _joined(sockets: SocketFactory, actor: Actor | None, show_id: str, **kw: object) -> Socket:
    s = await sockets(actor, **kw)
    await s.join(show_id)
    return s


async def test_a_message_is_stored_and_reaches_the_room(api: Api, sockets: SocketFactory,
                                                        client: TestClient) -> None:
    owner, show, _ = await _room(api)
    alice = await api.viewer("Alice")
    writer = await _joined(sockets, alice, show["id"])
    reader = await _joined(sockets, None, show["id"], name="Lurker")
    ack = await writer.call("chat", {"show_id": show["id"], "text": "  love it  "})
    message = ack["message"]
    assert message["text"] == "love it" and message["display_name"] == "Alice" and message["staff"] is False
    assert (await reader.wait_for("chat"))["message"] == message
    async with client.app[keys.sessionmaker_key]() as session:
        stored = await session.get(ChatMessage, message["id"])
        assert stored is not None and stored.text == "love it" and stored.user_id == alice.id
    host_ack = await (await _joined(sockets, owner, show["id"])).call("chat", {"show_id": show["id"], "text": "hi!"})
    assert host_ack["message"]["staff"] is True
    assert (await reader.call("chat", {"show_id": show["id"], "text": "me too"}))["error"]["code"] == \
        "sign_in_required"


async def test_slow_mode_holds_for_viewers_not_for_the_host(api: Api, sockets: SocketFactory) -> None:
    owner, show, _ = await _room(api)
    host = await _joined(sockets, owner, show["id"])
    patient = await api.viewer()
    viewer = await _joined(sockets, patient, show["id"])
    ack = await host.call("slow_mode", {"show_id": show["id"], "slow_mode_seconds": 10})
    assert ack == {"show_id": show["id"], "slow_mode_seconds": 10}
    assert (await viewer.wait_for("show"))["show"]["slow_mode_seconds"] == 10

    assert "message" in await viewer.call("chat", {"show_id": show["id"], "text": "one"})
    refused = await viewer.call("chat", {"show_id": show["id"], "text": "two"})
    assert refused["error"]["code"] == "slow_mode"
    assert 8000 < refused["error"]["retry_after_ms"] <= 10000
    for i in range(3):
        assert "message" in await host.call("chat", {"show_id": show["id"], "text": f"host {i}"})
    texts = [m["text"] for m in (await viewer.call("join", {"show_id": show["id"]}))["chat"]]
    assert texts == ["one", "host 0", "host 1", "host 2"], "the refused message is neither stored nor sent"
    # Over HTTP the same turn applies.
    status, body = await api.call("POST", f"/api/shows/{show['id']}/chat", patient, json={"text": "three"})
    assert status == 429 and body["error"]["code"] == "slow_mode"


async def test_without_slow_mode_one_message_a_second(api: Api, sockets: SocketFactory) -> None:
    _, show, _ = await _room(api)
    viewer = await _joined(sockets, await api.viewer(), show["id"])
    assert "message" in await viewer.call("chat", {"show_id": show["id"], "text": "a"})
    assert (await viewer.call("chat", {"show_id": show["id"], "text": "b"}))["error"]["code"] == "slow_mode"
    await asyncio.sleep(1.0)
    assert "message" in await viewer.call("chat", {"show_id": show["id"], "text": "c"})


async def test_blocked_words_are_refused(api: Api, sockets: SocketFactory) -> None:
    owner, show, _ = await _room(api)
    _, words = await api.call("PUT", "/api/merchants/me/blocked-words", owner,
                              json={"words": ["Spam", "buy  NOW", "spam", "!!"]}, expect=200)
    assert words == {"words": ["spam", "buy now"]}
    _, read = await api.call("GET", "/api/merchants/me/blocked-words", owner, expect=200)
    assert read == words
    watcher = await _joined(sockets, None, show["id"], name="W")
    viewers = [await _joined(sockets, await api.viewer(), show["id"]) for _ in range(4)]
    for viewer, text in zip(viewers, ["SPAM!!", "please BUY   now", "ｓｐａｍ"], strict=False):
        ack = await viewer.call("chat", {"show_id": show["id"], "text": text})
        assert ack["error"]["code"] == "blocked_words", text
    ack = await viewers[3].call("chat", {"show_id": show["id"], "text": "no spammers, buy later"})
    assert "message" in ack, "whole words only: 'spammers' and 'buy later' are fine"
    await watcher.wait_for("chat")
    assert [e["message"]["text"] for e in watcher.events["chat"]] == ["no spammers, buy later"]
    other_shop = await api.merchant()
    other_show, _ = await api.live_show(other_shop)
    elsewhere = await _joined(sockets, await api.viewer(), other_show["id"])
    assert "message" in await elsewhere.call("chat", {"show_id": other_show["id"], "text": "spam"}), \
        "each merchant has its own list"


async def test_host_removes_a_message_for_everyone(api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner, show, _ = await _room(api)
    host = await _joined(sockets, owner, show["id"])
    viewer = await _joined(sockets, await api.viewer(), show["id"])
    watcher = await _joined(sockets, None, show["id"], name="W")
    message = (await viewer.call("chat", {"show_id": show["id"], "text": "rude"}))["message"]
    refused = await viewer.call("delete_message", {"show_id": show["id"], "message_id": message["id"]})
    assert refused["error"]["code"] == "not_host"
    assert await host.call("delete_message", {"show_id": show["id"], "message_id": message["id"]}) == {"ok": True}
    removed = await watcher.wait_for("chat_removed")
    assert removed == {"show_id": show["id"], "message_id": message["id"]}
    assert (await watcher.call("join", {"show_id": show["id"]}))["chat"] == []
    again = await host.call("delete_message", {"show_id": show["id"], "message_id": message["id"]})
    assert again["error"]["code"] == "not_found"
    async with client.app[keys.sessionmaker_key]() as session:
        stored = await session.get(ChatMessage, message["id"])
        assert stored is not None and stored.deleted_at is not None and stored.deleted_by == owner.id
    await api.call("DELETE", f"/api/shows/{show['id']}/chat/{message['id']}", owner, expect=404)


async def test_mute_and_unmute(api: Api, sockets: SocketFactory) -> None:
    owner, show, offer = await _room(api)
    host = await _joined(sockets, owner, show["id"])
    loud = await api.viewer("Loud")
    viewer = await _joined(sockets, loud, show["id"])
    muted = await host.call("moderate", {"show_id": show["id"], "user_id": loud.id, "action": "mute"})
    assert muted == {"show_id": show["id"], "user_id": loud.id, "muted": True, "banned": False}
    assert await viewer.wait_for("moderated") == {"show_id": show["id"], "action": "mute"}
    assert (await viewer.call("chat", {"show_id": show["id"], "text": "hey"}))["error"]["code"] == "muted"
    assert (await viewer.call("join", {"show_id": show["id"]}))["you"]["can_chat"] is False
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
    await viewer.wait_for("card")  # muted viewers still watch
    await host.call("moderate", {"show_id": show["id"], "user_id": loud.id, "action": "unmute"})
    assert "message" in await viewer.call("chat", {"show_id": show["id"], "text": "sorry"})
    staff = await host.call("moderate", {"show_id": show["id"], "user_id": owner.id, "action": "mute"})
    assert staff["error"]["code"] == "cannot_moderate_staff"


async def test_a_ban_holds(api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner, show, offer = await _room(api)
    troll = await api.viewer("Troll")
    first_tab = await _joined(sockets, troll, show["id"])
    second_tab = await _joined(sockets, troll, show["id"])
    bystander = await _joined(sockets, await api.viewer(), show["id"])
    _, result = await api.call("POST", f"/api/shows/{show['id']}/moderation", owner,
                               json={"user_id": troll.id, "action": "ban"}, expect=200)
    assert result["banned"] is True
    for tab in (first_tab, second_tab):
        assert await tab.wait_for("moderated") == {"show_id": show["id"], "action": "ban"}
        assert (await tab.call("chat", {"show_id": show["id"], "text": "x"}))["error"]["code"] in ("banned",
                                                                                                   "not_joined")
        assert (await tab.call("join", {"show_id": show["id"]}))["error"]["code"] == "banned"
        assert (await tab.call("react", {"show_id": show["id"], "kind": "heart"}))["error"]["code"] == "not_joined"
    status, body = await api.call("POST", f"/api/shows/{show['id']}/chat", troll, json={"text": "x"})
    assert status == 403 and body["error"]["code"] == "banned"
    await api.call("POST", f"/api/shows/{show['id']}/cards", owner, json={"offer_id": offer["id"]}, expect=201)
    await bystander.wait_for("card")
    assert first_tab.events["card"] == [] and second_tab.events["card"] == [], "banned sockets left the room"
    async with client.app[keys.sessionmaker_key]() as session:
        kinds = (await session.scalars(select(ShowModeration.kind).where(
            ShowModeration.show_id == show["id"], ShowModeration.user_id == troll.id))).all()
        assert list(kinds) == ["ban"]
    await api.call("POST", f"/api/shows/{show['id']}/moderation", owner, json={"user_id": troll.id,
                                                                               "action": "unban"}, expect=200)
    assert "show" in await first_tab.call("join", {"show_id": show["id"]})
    await api.call("POST", f"/api/shows/{show['id']}/moderation", owner,
                   json={"user_id": "usr_00000000000000000000000", "action": "ban"}, expect=404)
