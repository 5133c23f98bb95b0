"""ICE settings: what the server uses itself, what it tells clients, the public address behind NAT, and
trickled candidates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

import pytest

from streams.ice import BadFragment, announce_public_ip, link_headers, parse_fragment, rtc_configuration
from streams.settings import MediaSettings
from tests.helpers import sdp_offer


def settings(**values: object) -> MediaSettings:
    return MediaSettings(**values)  # type: ignore[arg-type]


def test_the_server_never_falls_back_to_a_public_stun_server() -> None:
    assert rtc_configuration(settings()).iceServers == []
    turn_only = settings(ice_servers=["turn:turn.example.net:3478"], turn_secret="p" + "q" * 20)
    assert rtc_configuration(turn_only).iceServers == [], "TURN is for clients"
    with_stun = rtc_configuration(settings(ice_servers=["stun:stun.example.net:3478", "turn:t.example.net"]))
    assert [s.urls for s in with_stun.iceServers or []] == ["stun:stun.example.net:3478"]
    public = settings(ice_servers=["stun:stun.example.net:3478"], public_ip="203.0.113.7")
    assert rtc_configuration(public).iceServers == [], "a known public address needs no STUN"


def test_link_headers_give_per_session_turn_credentials_that_expire() -> None:
    secret = "turn-shared-" + secrets.token_hex(8)
    links = link_headers(settings(ice_servers=["stun:s.example.net", "turn:t.example.net?transport=udp"],
                                  turn_secret=secret, turn_credential_ttl_seconds=3600), "session-a")
    assert links[0] == '<stun:s.example.net>; rel="ice-server"'
    found = re.fullmatch(r'<turn:t\.example\.net\?transport=udp>; rel="ice-server"; username="(\d+):(\w+)"; '
                         r'credential="([^"]+)"; credential-type="password"', links[1])
    assert found, links[1]
    expiry, name, credential = int(found[1]), found[2], found[3]
    assert time.time() + 3590 < expiry <= time.time() + 3600
    expected = hmac.new(secret.encode(), f"{expiry}:{name}".encode(), hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected, "coturn's use-auth-secret check passes"
    assert "session-a" not in name, "the session's URL is not in coturn's logs"
    other = link_headers(settings(ice_servers=["turn:t.example.net"], turn_secret=secret), "session-b")[0]
    assert name not in other, "each session has its own credentials"
    assert link_headers(settings(ice_servers=["turn:t.example.net"]), "s") == [], "no secret: no TURN at all"
    assert link_headers(settings(), "s") == []


async def test_the_public_address_is_announced_with_the_host_ports() -> None:
    offer = await sdp_offer("sendonly")  # a real aiortc description with host candidates
    hosts = [line.split() for line in offer.splitlines() if line.startswith("a=candidate:") and "typ host" in line]
    v4 = [c for c in hosts if ":" not in c[4]]
    announced = announce_public_ip(offer, "203.0.113.7")
    added = [line.split() for line in announced.splitlines() if "203.0.113.7" in line]
    assert added and all(c[7] == "srflx" for c in added)
    assert {c[5] for c in added} == {c[5] for c in v4}, "same ports as the IPv4 host candidates"
    assert {(c[9], c[11]) for c in added} == {(c[4], c[5]) for c in v4}, "related address is the host's"
    assert announce_public_ip(offer, None) == offer


def test_trickle_fragments() -> None:
    fragment = parse_fragment(
        "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
        "m=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
        "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0\r\n"
        "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ srflx raddr 10.0.0.1 rport 61765\r\n"
        "a=end-of-candidates\r\n")
    assert (fragment.ufrag, fragment.pwd, fragment.complete) == ("EsAw", "P2uYro0UCOQ4zxjKXaWCBui1", True)
    assert [(c.ip, c.port, c.type, c.sdpMid) for c in fragment.candidates] == [
        ("192.0.2.1", 61764, "host", "0"), ("198.51.100.2", 61765, "srflx", "0")]
    assert fragment.candidates[1].relatedAddress == "10.0.0.1"
    for bad in ("a=candidate:1 1 udp\r\n", "a=candidate:1 1 udp x 1.2.3.4 5 typ host\r\n", "hello\r\n"):
        with pytest.raises(BadFragment):
            parse_fragment(bad)
