"""WHEP and ICE abuse through the real HTTP app and real aiortc peers: idle offers from one address cannot
keep a real viewer out, unconnected sessions are dropped within seconds, candidates are capped and never
aimed at loopback or link-local addresses (unless the setting allows it)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench import peers
from live.config import Settings
from streams.ice import candidate_allowed
from streams.registry import MediaRegistry
from tests.conftest import free_port, make_settings
from tests.helpers import Api, sdp_offer
from tests.services import Services
from tests.streams.conftest import LiveShow, eventually

SDP = {"Content-Type": "application/sdp"}
FRAG = {"Content-Type": "application/trickle-ice-sdpfrag"}
ATTACKER, VIEWER = "198.51.100.66", "203.0.113.20"


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    """Production limits and ICE rules, 50 seats per show, idle sessions dropped after 2 s."""
    return make_settings(services, tmp_path / "data", production_limits=True, port=free_port(),
                         trusted_proxies=["127.0.0.1"], max_viewers_per_show=50, whep_connect_timeout_seconds=2.0,
                         ice_allow_loopback=False)


async def test_a_thousand_idle_offers_from_one_address_do_not_keep_a_real_viewer_out(
        api: Api, live_show: LiveShow, base_url: str, http: aiohttp.ClientSession, media: MediaRegistry,
        closing: list[Any]) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(publisher)
    offer = await sdp_offer("recvonly")  # made once, sent a thousand times: each is a new session to the server
    url = f"{base_url}/api/shows/{live_show.id}/whep"
    started = time.monotonic()

    async def idle_offer() -> tuple[int, str]:
        async with http.post(url, data=offer, headers={**SDP, "X-Forwarded-For": ATTACKER}) as response:
            body = await response.json() if response.status != 201 else {}
            return response.status, body.get("error", {}).get("code", "")

    held: list[int] = []  # the attacker's sessions on the server, sampled while the offers arrive

    async def sample() -> None:
        while True:
            held.append(sum(1 for s in media.sessions.values() if s.client_address == ATTACKER))
            await asyncio.sleep(0.02)

    sampler = asyncio.ensure_future(sample())
    answers: list[tuple[int, str]] = []
    try:
        for _ in range(20):  # 50 concurrent offers at a time
            answers += await asyncio.gather(*(idle_offer() for _ in range(50)))
    finally:
        sampler.cancel()
    took = time.monotonic() - started
    pending_cap = Settings.model_fields["whep_pending_per_address"].default
    assert 1 <= max(held) <= pending_cap, "never more than the cap of unconnected sessions at once"
    assert sum(1 for status, _ in answers if status == 201) >= 1
    assert {(status, code) for status, code in answers if status != 201} == {(429, "rate_limited")}
    assert took < 60, f"1,000 offers took {took:.1f} s"

    viewer = await peers.watch(http, base_url, live_show.id, decode=False, headers={"X-Forwarded-For": VIEWER})
    closing.append(viewer)
    await eventually(lambda: viewer.frames > 5, 15, "the real viewer's video")
    await eventually(lambda: media.pending_from(ATTACKER) == 0, 10, "the idle sessions to be dropped")
    assert viewer.location.rsplit("/", 1)[1] in media.sessions, "the connected viewer stays"


async def test_candidates_are_capped_and_never_loopback_or_link_local(
        api: Api, live_show: LiveShow, media: MediaRegistry) -> None:
    offer = await sdp_offer("recvonly")
    ufrag = next(line.split(":", 1)[1] for line in offer.splitlines() if line.startswith("a=ice-ufrag:"))
    status, _ = await api.call("POST", f"/api/shows/{live_show.id}/whep", data=offer, headers=SDP)
    assert status == 201
    session = next(s for s in media.sessions.values() if s.role == "viewer")
    budget = session.candidates.left
    path = session.location
    loopback = (f"a=ice-ufrag:{ufrag}\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
                "a=candidate:1 1 udp 2122260223 169.254.169.254 80 typ host\r\n")
    assert (await api.call("PATCH", path, data=loopback, headers=FRAG))[0] == 204
    assert session.candidates.left == budget, "a link-local candidate is dropped, not checked"
    many = "".join(f"a=candidate:{i} 1 udp 2122260223 192.0.2.{i % 250 + 1} {4000 + i} typ host\r\n"
                   for i in range(budget + 1))
    status, body = await api.call("PATCH", path, data=f"a=ice-ufrag:{ufrag}\r\nm=audio 9 RTP/AVP 0\r\n"
                                  f"a=mid:0\r\n{many}", headers=FRAG)
    assert status == 429 and body["error"]["code"] == "rate_limited"
    one = "a=candidate:9 1 udp 2122260223 192.0.2.9 4999 typ host\r\n"
    assert (await api.call("PATCH", path, data=f"a=ice-ufrag:{ufrag}\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n{one}",
                           headers=FRAG))[0] == 204, "within the cap they are added"


def test_which_remote_candidates_the_server_checks() -> None:
    for address in ("127.0.0.1", "::1", "169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.251", "evil.example"):
        assert not candidate_allowed(address, allow_loopback=False), address
    for address in ("192.168.1.20", "10.0.0.5", "203.0.113.8", "2001:db8::5", "3f1a2b.local"):
        assert candidate_allowed(address, allow_loopback=False), address
    assert candidate_allowed("127.0.0.1", allow_loopback=True) and candidate_allowed("fe80::1", allow_loopback=True)
    assert not candidate_allowed("224.0.0.251", allow_loopback=True)


async def test_a_full_show_says_when_to_try_again(api: Api, live_show: LiveShow, media: MediaRegistry) -> None:
    media.max_viewers_per_show = 1  # as LIVE_MAX_VIEWERS_PER_SHOW=1 would
    offer = await sdp_offer("recvonly")
    url = f"/api/shows/{live_show.id}/whep"
    async with api.client.post(url, data=offer, headers={**SDP, "X-Forwarded-For": VIEWER}) as first:
        assert first.status == 201
    async with api.client.post(url, data=offer, headers={**SDP, "X-Forwarded-For": ATTACKER}) as full:
        assert full.status == 503 and (await full.json())["error"]["code"] == "at_capacity"
        assert int(full.headers["Retry-After"]) >= 1
