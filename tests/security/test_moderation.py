"""The smaller holes, through real HTTP, socket.io and WebRTC: a ban ends the banned viewer's video and room,
a host taken off a show leaves its staff room, bidirectional controls are refused in names and chat."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bench import peers
from live import keys
from live.commerce import recovery
from streams.registry import MediaRegistry
from tests.helpers import Api
from tests.realtime.conftest import SocketFactory
from tests.streams.conftest import LiveShow, eventually

BIDI = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"]


async def test_a_ban_ends_the_viewers_video_and_takes_their_sockets_out_of_the_show(
        api: Api, live_show: LiveShow, base_url: str, http: aiohttp.ClientSession, media: MediaRegistry,
        sockets: SocketFactory, closing: list[Any]) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(publisher)
    troll, fan = await api.viewer("Troll"), await api.viewer("Fan")
    troll_video = await peers.watch(http, base_url, live_show.id, decode=False, headers=troll.headers)
    fan_video = await peers.watch(http, base_url, live_show.id, decode=False, headers=fan.headers)
    closing.extend([troll_video, fan_video])
    troll_socket, fan_socket = await sockets(troll), await sockets(fan)
    await troll_socket.join(live_show.id)
    await fan_socket.join(live_show.id)
    await eventually(lambda: troll_video.frames > 3 and fan_video.frames > 3, 15, "both viewers' video")

    await api.call("POST", f"/api/shows/{live_show.id}/moderation", live_show.host,
                   json={"user_id": troll.id, "action": "ban"}, expect=200)
    troll_session = troll_video.location.rsplit("/", 1)[1]
    await eventually(lambda: troll_session not in media.sessions, 5, "the banned viewer's media session to end")
    await eventually(lambda: troll_video.pc.connectionState in ("closed", "failed", "disconnected"), 15,
                     "the banned viewer's peer to notice")
    assert (await troll_socket.wait_for("moderated"))["action"] == "ban"
    said = await troll_socket.call("chat", {"show_id": live_show.id, "text": "still here?"})
    assert said["error"]["code"] in ("not_joined", "banned"), said
    again = await troll_socket.call("join", {"show_id": live_show.id})
    assert again["error"]["code"] == "banned"
    status, body = await api.call("POST", f"/api/shows/{live_show.id}/whep", troll,
                                  data=await _offer(), headers={"Content-Type": "application/sdp"})
    assert status == 403 and body["error"]["code"] == "banned"
    frames = fan_video.frames
    await eventually(lambda: fan_video.frames > frames + 3, 10, "the fan's video to go on")
    assert fan_video.location.rsplit("/", 1)[1] in media.sessions


async def test_a_ban_refuses_tap_chat_and_video_and_outlives_redis_losing_the_show(
        api: Api, client: TestClient, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5)
    troll = await api.viewer("Troll")
    await api.call("POST", f"/api/shows/{show['id']}/moderation", owner,
                   json={"user_id": troll.id, "action": "ban"}, expect=200)

    async def refused_everywhere() -> None:
        status, body = await api.tap(troll, show["id"], offer["id"])
        assert status == 403 and body["error"]["code"] == "banned", body
        status, body = await api.call("POST", f"/api/shows/{show['id']}/chat", troll, json={"text": "x"})
        assert status == 403 and body["error"]["code"] == "banned", body
        socket = await sockets(troll)
        assert (await socket.call("join", {"show_id": show["id"]}))["error"]["code"] == "banned"
        status, body = await api.call("POST", f"/api/shows/{show['id']}/whep", troll,
                                      data=await _offer(), headers={"Content-Type": "application/sdp"})
        assert status == 403 and body["error"]["code"] == "banned", body

    await refused_everywhere()
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    show_keys = redis_keys.show(show["id"])
    # Redis forgets the show, its bans with it
    await redis.delete(show_keys.state, *show_keys.ended_keys([offer["id"]]))
    assert not await redis.sismember(show_keys.banned, troll.id)
    async with client.app[keys.sessionmaker_key]() as session:
        assert show["id"] in await recovery.recover(session, redis, redis_keys)
    await refused_everywhere()
    assert (await api.tap(await api.viewer("Fan"), show["id"], offer["id"]))[0] == 201, "others still buy"


async def test_a_ban_made_before_the_show_holds_when_it_starts(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show = await api.show(owner)
    troll = await api.viewer("Troll")
    await api.call("POST", f"/api/shows/{show['id']}/moderation", owner,
                   json={"user_id": troll.id, "action": "ban"}, expect=200)
    redis, redis_keys = client.app[keys.redis_key], client.app[keys.redis_keys_key]
    await redis.delete(redis_keys.show(show["id"]).banned)  # lost while the show waited
    await api.call("POST", f"/api/shows/{show['id']}/start", owner, expect=200)
    status, body = await api.call("POST", f"/api/shows/{show['id']}/whep", troll,
                                  data=await _offer(), headers={"Content-Type": "application/sdp"})
    assert status == 403 and body["error"]["code"] == "banned", body


async def _offer() -> str:
    from tests.helpers import sdp_offer

    return await sdp_offer("recvonly")


async def test_a_host_taken_off_the_show_leaves_its_staff_room(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    first, second = await api.host(owner, "First"), await api.host(owner, "Second")
    show, offer = await api.live_show(owner, stock=10, limit=5, host=first)
    first_socket, second_socket = await sockets(first), await sockets(second)
    assert "staff" in await first_socket.join(show["id"])
    await api.call("PATCH", f"/api/shows/{show['id']}", owner, json={"host_id": second.id}, expect=200)
    assert "staff" in await second_socket.join(show["id"])
    await asyncio.sleep(0.3)
    first_socket.events.clear()
    assert (await api.tap(await api.viewer(), show["id"], offer["id"]))[0] == 201
    await second_socket.wait_for("staff_orders")
    await second_socket.wait_for("offer_counters")
    await asyncio.sleep(1.0)
    assert "staff_orders" not in first_socket.events and "offer_counters" not in first_socket.events, \
        "the former host sees no more of the show's orders"
    refused = await first_socket.call("push_card", {"show_id": show["id"], "offer_id": offer["id"]})
    assert refused["error"]["code"] in ("not_host", "forbidden"), refused


@pytest.mark.parametrize("mark", BIDI)
async def test_bidirectional_controls_are_refused_in_names_and_chat(
        api: Api, sockets: SocketFactory, mark: str) -> None:
    status, body = await api.call("POST", "/api/viewers", json={"display_name": f"adm{mark}nimda"})
    assert status == 422 and "bidirectional" in str(body), body
    status, _ = await api.call("POST", "/api/merchants", json={
        "name": f"Shop{mark}", "email": f"bidi{ord(mark)}@example.com", "password": "correct-horse-1"})
    assert status == 422
    viewer = await api.viewer("Plain")
    status, _ = await api.call("PATCH", "/api/viewers/me", viewer, json={"display_name": f"x{mark}y"})
    assert status == 422
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    socket = await sockets(viewer)
    await socket.join(show["id"])
    refused = await socket.call("chat", {"show_id": show["id"], "text": f"price {mark}001$"})
    assert refused["error"]["code"] == "validation_error", refused
    assert "message" in await socket.call("chat", {"show_id": show["id"], "text": "مرحبا hello"}), \
        "right-to-left text itself is fine"
