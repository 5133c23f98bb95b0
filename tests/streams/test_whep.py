"""WHEP as viewers see it: who may watch, the session URL as the credential to hang up, the show's codec (VP8
or H.264, never transcoded), and the server's capacity."""

from __future__ import annotations

import aiohttp
import pytest

from bench import peers
from db.models import ShowModeration
from live.keys import sessionmaker_key
from streams.registry import MediaRegistry
from tests.helpers import Api, sdp_offer
from tests.streams.conftest import LiveShow, eventually

SDP = {"Content-Type": "application/sdp"}


async def test_anyone_watches_and_the_session_url_hangs_up(api: Api, live_show: LiveShow, base_url: str,
                                                           http: aiohttp.ClientSession, closing: list,
                                                           media: MediaRegistry) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(publisher)
    anonymous = await peers.watch(http, base_url, live_show.id, decode=False)
    signed_in = await peers.watch(http, base_url, live_show.id, decode=False, headers=(await api.viewer()).headers)
    closing.extend([anonymous, signed_in])
    await eventually(lambda: anonymous.frames > 5 and signed_in.frames > 5, 10, "frames for both viewers")

    path = anonymous.location.split(base_url, 1)[1]
    status, _ = await api.call("DELETE", path.rsplit("/", 1)[0] + "/not-this-one")
    assert status == 404
    status, _ = await api.call("DELETE", path.replace(live_show.id, "shw_00000000000000000000000"))
    assert status == 404, "the session belongs to its show"
    status, _ = await api.call("DELETE", path)
    assert status == 200
    assert path.rsplit("/", 1)[1] not in media.sessions
    await eventually(lambda: anonymous.pc.connectionState == "closed", 10, "the viewer to be hung up")
    assert signed_in.location.rsplit("/", 1)[1] in media.sessions


async def test_a_banned_viewer_is_refused(api: Api, client, live_show: LiveShow) -> None:
    viewer = await api.viewer()
    async with client.app[sessionmaker_key]() as session:
        session.add(ShowModeration(show_id=live_show.id, user_id=viewer.id, kind="ban", by_user_id=live_show.host.id))
        await session.commit()
    offer = await sdp_offer("recvonly")
    status, body = await api.call("POST", f"/api/shows/{live_show.id}/whep", viewer, data=offer, headers=SDP)
    assert status == 403 and body["error"]["code"] == "banned"
    status, _ = await api.call("POST", f"/api/shows/{live_show.id}/whep", await api.viewer(), data=offer,
                               headers=SDP)
    assert status == 201, "other viewers still may"


async def test_only_live_shows_are_watched(api: Api, live_show: LiveShow) -> None:
    offer = await sdp_offer("recvonly")
    scheduled = await api.show(live_show.owner, live_show.host)
    status, body = await api.call("POST", f"/api/shows/{scheduled['id']}/whep", data=offer, headers=SDP)
    assert status == 409 and body["error"]["code"] == "show_not_live"
    status, body = await api.call("POST", "/api/shows/shw_00000000000000000000000/whep", data=offer, headers=SDP)
    assert status == 404
    status, body = await api.call("POST", f"/api/shows/{live_show.id}/whep", data=await sdp_offer("sendonly"),
                                  headers=SDP)
    assert status == 422 and body["error"]["code"] == "unsupported_sdp", "a viewer's offer must receive"


async def test_h264_is_forwarded_and_viewers_must_offer_it(api: Api, live_show: LiveShow, base_url: str,
                                                           http: aiohttp.ClientSession, closing: list,
                                                           media: MediaRegistry) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token, codec="video/H264")
    closing.append(publisher)
    codec = media.shows[live_show.id].codec
    assert codec is not None and codec.name == "H264"

    viewer = await peers.watch(http, base_url, live_show.id)  # offers VP8 and H.264: gets H.264
    closing.append(viewer)
    await eventually(lambda: len(viewer.numbers) >= 20, 15, "decoded H.264 frames")
    assert viewer.numbers == sorted(viewer.numbers)

    with pytest.raises(RuntimeError, match="codec_unsupported"):  # nothing is transcoded
        closing.append(await peers.watch(http, base_url, live_show.id, codec="video/VP8"))


async def test_viewers_before_the_host_get_vp8_and_a_vp8_host_keeps_them(
        live_show: LiveShow, base_url: str, http: aiohttp.ClientSession, closing: list,
        media: MediaRegistry) -> None:
    viewer = await peers.watch(http, base_url, live_show.id)
    closing.append(viewer)
    codec = media.shows[live_show.id].codec
    assert codec is not None and codec.name == "VP8"
    closing.append(await peers.publish(http, base_url, live_show.id, live_show.host.token))
    await eventually(lambda: len(viewer.numbers) >= 10, 15, "the early viewer's frames")


async def test_a_host_with_another_codec_hangs_up_viewers_who_cannot_take_it(
        live_show: LiveShow, base_url: str, http: aiohttp.ClientSession, closing: list,
        media: MediaRegistry) -> None:
    viewer = await peers.watch(http, base_url, live_show.id, codec="video/VP8")
    closing.append(viewer)
    closing.append(await peers.publish(http, base_url, live_show.id, live_show.host.token, codec="video/H264"))
    assert viewer.location.rsplit("/", 1)[1] not in media.sessions, "they reconnect and negotiate H.264"
    again = await peers.watch(http, base_url, live_show.id)
    closing.append(again)
    await eventually(lambda: len(again.numbers) >= 10, 15, "H.264 frames after reconnecting")


async def test_capacity(api: Api, live_show: LiveShow, media: MediaRegistry) -> None:
    media.max_viewers_per_show = 2  # as LIVE_MAX_VIEWERS_PER_SHOW=2 would
    offer = await sdp_offer("recvonly")
    for _ in range(2):
        await api.call("POST", f"/api/shows/{live_show.id}/whep", data=offer, headers=SDP, expect=201)
    status, body = await api.call("POST", f"/api/shows/{live_show.id}/whep", data=offer, headers=SDP)
    assert status == 503 and body["error"]["code"] == "at_capacity"

