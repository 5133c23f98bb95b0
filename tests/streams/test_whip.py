"""WHIP (RFC 9725) as a host and its tools see it: the answer and its headers, one publisher at a time, hanging
up, reconnecting, bad offers, CORS, trickled candidates, and the show's on/off-air announcements."""

from __future__ import annotations

import time

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from bench import peers
from live.config import Settings
from live.signals import BroadcastState
from streams.registry import MediaRegistry
from tests.conftest import make_settings
from tests.helpers import Api, sdp_offer
from tests.services import Services
from tests.streams.conftest import LiveShow, eventually

SDP = {"Content-Type": "application/sdp"}
FRAG = {"Content-Type": "application/trickle-ice-sdpfrag"}


@pytest.fixture
def settings(services: Services, tmp_path) -> Settings:
    """STUN and TURN servers configured (the server itself uses none: it has the public address)."""
    return make_settings(services, tmp_path / "data", ice_servers=["stun:stun.example.net:3478",
                                                                   "turn:turn.example.net:3478?transport=udp"],
                         turn_secret="turn-" + "s3cret" * 8, public_ip="203.0.113.7")


async def post_offer(api: Api, show: LiveShow, offer: str | None = None) -> aiohttp.ClientResponse:
    async with api.client.post(f"/api/shows/{show.id}/whip", data=offer or await sdp_offer("sendonly"),
                               headers={**show.host.headers, **SDP}) as response:
        await response.read()
        return response


async def test_answer_location_etag_and_ice_servers(api: Api, live_show: LiveShow, media: MediaRegistry,
                                                     base_url: str) -> None:
    response = await post_offer(api, live_show)
    assert response.status == 201
    assert response.content_type == "application/sdp"
    answer = (await response.text())
    assert answer.startswith("v=0") and "a=recvonly" in answer
    assert "203.0.113.7" in answer and "typ srflx" in answer, "the public address is announced"
    location = response.headers["Location"]
    session_id = location.rsplit("/", 1)[1]
    assert location == f"{base_url}/api/shows/{live_show.id}/whip/{session_id}", "absolute: the node's URL"
    assert session_id in media.sessions
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Accept-Patch"] == "application/trickle-ice-sdpfrag"
    links = response.headers.getall("Link")
    assert '<stun:stun.example.net:3478>; rel="ice-server"' in links
    turn = next(link for link in links if link.startswith("<turn:"))
    assert 'username="' in turn and 'credential="' in turn and 'credential-type="password"' in turn
    assert response.headers["Access-Control-Expose-Headers"].startswith("Location")


async def test_options_answers_cors_preflight(api: Api, live_show: LiveShow) -> None:
    async with api.client.options(f"/api/shows/{live_show.id}/whip", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}) as response:
        assert response.status == 204
        assert response.headers["Accept-Post"] == "application/sdp"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    async with api.client.options(f"/api/shows/{live_show.id}/whip/anything") as response:
        assert response.status == 204 and "DELETE" in response.headers["Access-Control-Allow-Methods"]


async def test_second_publisher_gets_409_until_the_first_is_gone(
        api: Api, live_show: LiveShow, base_url: str, http: aiohttp.ClientSession, closing: list,
        media: MediaRegistry) -> None:
    first = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(first)
    await eventually(lambda: media.shows[live_show.id].relay.video.frames_in > 0, 10, "the host's frames")
    for actor in (live_show.host, live_show.owner):
        async with api.client.post(f"/api/shows/{live_show.id}/whip", data=await sdp_offer("sendonly"),
                                   headers={**actor.headers, **SDP}) as response:
            assert response.status == 409
            assert (await response.json())["error"]["code"] == "publisher_active"
    await first.pc.close()  # the host's browser went away
    await eventually(lambda: media.shows.get(live_show.id) is None
                     or media.shows[live_show.id].publisher is None, 10, "the server to notice")
    second = await peers.publish(http, base_url, live_show.id, live_show.owner.token)
    closing.append(second)


async def test_a_quiet_publisher_is_replaced(api: Api, live_show: LiveShow, base_url: str,
                                             http: aiohttp.ClientSession, closing: list,
                                             media: MediaRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    from streams import whip

    monkeypatch.setattr(whip, "CONNECT_GRACE", 0.2)
    stuck = await post_offer(api, live_show)  # an offer whose peer never connects
    assert stuck.status == 201
    show_media = media.shows[live_show.id]
    assert show_media.publisher is not None
    await eventually(lambda: not whip.is_active(show_media.publisher, show_media.relay, time.monotonic()),  # type: ignore[arg-type]
                     2, "the stuck publisher to count as gone")
    replacement = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(replacement)
    assert stuck.headers["Location"].rsplit("/", 1)[1] not in media.sessions


async def test_delete_ends_the_broadcast(api: Api, live_show: LiveShow, base_url: str, http: aiohttp.ClientSession,
                                         closing: list, media: MediaRegistry,
                                         broadcasts: list[BroadcastState]) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    viewer = await peers.watch(http, base_url, live_show.id, decode=False)
    closing.extend([publisher, viewer])
    await eventually(lambda: viewer.frames > 5, 10, "frames")
    assert broadcasts == [BroadcastState(live_show.id, on_air=True)]
    session_path = publisher.location.split(base_url, 1)[1]
    status, _ = await api.call("DELETE", session_path)
    assert status == 401
    status, _ = await api.call("DELETE", session_path, live_show.owner)
    assert status == 200
    assert broadcasts[-1] == BroadcastState(live_show.id, on_air=False)
    status, _ = await api.call("DELETE", session_path, live_show.owner)
    assert status == 404, "the session is gone"
    assert viewer.location.rsplit("/", 1)[1] in media.sessions, "viewers keep their sessions while the host is away"


async def test_host_reconnects_and_viewers_keep_watching(live_show: LiveShow, base_url: str,
                                                         http: aiohttp.ClientSession, closing: list,
                                                         media: MediaRegistry,
                                                         broadcasts: list[BroadcastState]) -> None:
    first = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    viewer = await peers.watch(http, base_url, live_show.id)
    closing.extend([first, viewer])
    await eventually(lambda: len(viewer.numbers) > 10, 10, "frames from the first publisher")
    async with http.delete(first.location, headers=live_show.host.headers) as response:
        assert response.status == 200
    await first.pc.close()
    seen = len(viewer.numbers)
    second = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(second)
    await eventually(lambda: len(viewer.numbers) > seen + 10, 10, "frames from the second publisher")
    numbers = viewer.numbers
    restart = next(i for i in range(seen, len(numbers)) if numbers[i] < numbers[i - 1])  # frames in flight first
    assert numbers[restart] <= 2, "the same viewer session shows the new publisher from its first keyframe"
    assert numbers[restart:] == sorted(numbers[restart:])
    assert [b.on_air for b in broadcasts] == [True, False, True]


async def test_media_stall_takes_the_show_off_air_and_back(live_show: LiveShow, base_url: str,
                                                           http: aiohttp.ClientSession, closing: list,
                                                           broadcasts: list[BroadcastState]) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token, audio=False)
    closing.append(publisher)
    await eventually(lambda: [b.on_air for b in broadcasts] == [True], 10, "on air")
    sender = publisher.pc.getSenders()[0]
    sender.replaceTrack(None)  # the camera stops sending; the connection stays up
    await eventually(lambda: [b.on_air for b in broadcasts] == [True, False], 10, "off air after the stall")
    sender.replaceTrack(peers.NumberedTrack())
    await eventually(lambda: [b.on_air for b in broadcasts] == [True, False, True], 10, "back on air")


@pytest.mark.parametrize("body, content_type, status, code", [
    (b"v=0\r\n", "text/plain", 415, "unsupported_media_type"),
    (b"", "application/sdp", 400, "invalid_sdp"),
    (b"hello", "application/sdp", 400, "invalid_sdp"),
    (b"v=0\r\nm=video not-a-port\r\n", "application/sdp", 400, "invalid_sdp"),
    (b"\xff\xfe", "application/sdp", 400, "invalid_sdp"),
    (b"v=0\r\n" + b"a=x\r\n" * 20000, "application/sdp", 413, "payload_too_large"),
])
@pytest.mark.parametrize("endpoint", ["whip", "whep"])
async def test_bad_offers_are_4xx(api: Api, live_show: LiveShow, body: bytes, content_type: str, status: int,
                                  code: str, media: MediaRegistry, endpoint: str) -> None:
    headers = {**(live_show.host.headers if endpoint == "whip" else {}), "Content-Type": content_type}
    async with api.client.post(f"/api/shows/{live_show.id}/{endpoint}", data=body, headers=headers) as response:
        answer = await response.json()
    assert response.status == status, answer
    assert answer["error"]["code"] == code and answer["error"]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*", "a cross-site player can read the error"
    assert media.sessions == {}


async def test_offers_the_server_cannot_serve_are_422(api: Api, live_show: LiveShow, media: MediaRegistry) -> None:
    sendonly = await sdp_offer("sendonly")
    cases = {
        "receiving instead of sending": await sdp_offer("recvonly"),
        "no ICE credentials": "\r\n".join(line for line in sendonly.splitlines() if not line.startswith("a=ice-")),
        "no DTLS fingerprint": "\r\n".join(line for line in sendonly.splitlines()
                                           if not line.startswith("a=fingerprint")),
        "PCMU audio only": sendonly.replace("opus/48000/2", "PCMU/8000"),
        "simulcast": sendonly.replace("a=mid:0", "a=mid:0\r\na=simulcast:send h;l"),
        "a data channel": sendonly + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
    }
    for label, offer in cases.items():
        response = await post_offer(api, live_show, offer)
        assert 400 <= response.status < 500, label
    assert media.sessions == {}


async def test_publishing_needs_a_live_show(api: Api, live_show: LiveShow, client: TestClient) -> None:
    scheduled = await api.show(live_show.owner, live_show.host)
    status, body = await api.call("POST", f"/api/shows/{scheduled['id']}/whip", live_show.host,
                                  data=await sdp_offer("sendonly"), headers=SDP)
    assert status == 409 and body["error"]["code"] == "show_not_live"
    await api.call("POST", f"/api/shows/{live_show.id}/end", live_show.host, expect=200)
    status, body = await api.call("POST", f"/api/shows/{live_show.id}/whip", live_show.host,
                                  data=await sdp_offer("sendonly"), headers=SDP)
    assert status == 409 and body["error"]["code"] == "show_ended"


async def test_trickled_candidates(api: Api, live_show: LiveShow, media: MediaRegistry) -> None:
    offer = "\r\n".join(line for line in (await sdp_offer("sendonly")).splitlines()  # a trickling client's offer
                         if not line.startswith(("a=candidate:", "a=end-of-candidates"))) + "\r\n"
    response = await post_offer(api, live_show, offer)
    path, etag = URL(response.headers["Location"]).path, response.headers["ETag"]
    ufrag = next(line for line in offer.splitlines() if line.startswith("a=ice-ufrag:"))
    pwd = next(line for line in offer.splitlines() if line.startswith("a=ice-pwd:"))
    fragment = (f"{ufrag}\r\n{pwd}\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                "a=candidate:1 1 udp 2130706431 198.51.100.1 40000 typ host\r\na=end-of-candidates\r\n")
    host = live_show.host
    status, _ = await api.call("PATCH", path, host, data=fragment, headers={**FRAG, "If-Match": etag})
    assert status == 204
    session = media.sessions[path.rsplit("/", 1)[1]]
    remote = session.pc.getTransceivers()[0].receiver.transport.transport.getRemoteCandidates()
    assert any(c.ip == "198.51.100.1" and c.port == 40000 for c in remote)

    refusals = [
        ({**FRAG, "If-Match": '"stale"'}, fragment, 412, "precondition_failed"),
        ({**FRAG, "If-Match": "*"}, fragment, 422, "ice_restart_unsupported"),
        (FRAG, fragment.replace(ufrag, "a=ice-ufrag:newone"), 422, "ice_restart_unsupported"),
        ({"Content-Type": "application/sdp"}, fragment, 415, "unsupported_media_type"),
        (FRAG, "a=candidate:garbage\r\n", 400, "invalid_sdpfrag"),
    ]
    for headers, body, status_wanted, code in refusals:
        status, answer = await api.call("PATCH", path, host, data=body, headers=headers)
        assert (status, answer["error"]["code"]) == (status_wanted, code)
    status, _ = await api.call("PATCH", path.replace("/whip/", "/whep/"), None, data=fragment, headers=FRAG)
    assert status == 404, "a publishing session is not a viewing session"


async def test_the_openapi_document_describes_the_sdp_exchange(api: Api) -> None:
    _, document = await api.call("GET", "/api/openapi.json", expect=200)
    whip = document["paths"]["/api/shows/{show_id}/whip"]["post"]
    assert list(whip["requestBody"]["content"]) == ["application/sdp"]
    assert list(whip["responses"]["201"]["content"]) == ["application/sdp"]
    assert {"401", "403", "409", "415", "422"} <= set(whip["responses"])
    whep = document["paths"]["/api/shows/{show_id}/whep"]["post"]
    assert "security" not in whep, "anyone may watch"
    trickle = document["paths"]["/api/shows/{show_id}/whip/{session_id}"]["patch"]
    assert list(trickle["requestBody"]["content"]) == ["application/trickle-ice-sdpfrag"]


async def test_stopping_the_server_hangs_up_every_peer(live_show: LiveShow, base_url: str, client: TestClient,
                                                      http: aiohttp.ClientSession, closing: list,
                                                      media: MediaRegistry) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    viewer = await peers.watch(http, base_url, live_show.id, decode=False)
    closing.extend([publisher, viewer])
    await eventually(lambda: viewer.frames > 3, 10, "frames")
    sessions = list(media.sessions.values())
    await client.close()
    assert media.sessions == {} and media.shows == {}
    assert all(s.pc.connectionState == "closed" for s in sessions)
    await eventually(lambda: viewer.pc.connectionState == "closed" and publisher.pc.connectionState == "closed",
                     10, "the peers to see the server hang up")


async def test_ending_the_show_closes_every_peer(api: Api, live_show: LiveShow, base_url: str,
                                                 http: aiohttp.ClientSession, closing: list,
                                                 media: MediaRegistry, broadcasts: list[BroadcastState]) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    viewers = [await peers.watch(http, base_url, live_show.id, decode=False) for _ in range(2)]
    closing.extend([publisher, *viewers])
    await eventually(lambda: all(v.frames > 3 for v in viewers), 10, "frames")
    await api.call("POST", f"/api/shows/{live_show.id}/end", live_show.host, expect=200)
    assert media.sessions == {} and live_show.id not in media.shows
    assert broadcasts[-1] == BroadcastState(live_show.id, on_air=False)
    await eventually(lambda: all(v.pc.connectionState == "closed" for v in viewers), 10, "viewers to be hung up")
