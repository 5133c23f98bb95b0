"""ICE for the server's peers: which STUN server the server itself uses, the STUN/TURN servers it tells
clients about (``Link: rel="ice-server"``, RFC 9725 4.6), the public address behind a 1:1 NAT, and trickled
candidates (``application/trickle-ice-sdpfrag``, RFC 8840).

aiortc gathers every candidate before it answers, so the answer is complete and the server never trickles.
TURN is for clients: the server has a public (or NAT-mapped) address and only uses STUN, and only when no
public address is configured.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import time
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCIceCandidate, RTCIceServer

from streams.aiortc_compat import parse_candidate, srflx_priority
from streams.errors import MediaError, MediaRateLimited
from streams.settings import MediaSettings


def rtc_configuration(settings: MediaSettings) -> RTCConfiguration:
    """Always an explicit server list: with none, aiortc would ask a public STUN server."""
    stun = [url for url in settings.ice_servers if url.startswith("stun:")]
    servers = [RTCIceServer(urls=stun[0])] if stun and not settings.public_ip else []
    # aiortc's default bundle policy: with max-bundle it stops the shared transport when the offer's first
    # bundled section is not the kind whose transceiver was created first.
    return RTCConfiguration(iceServers=servers)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def turn_credentials(secret: str, session_name: str, ttl_seconds: int, now: float | None = None) -> tuple[str, str]:
    """coturn's ``use-auth-secret`` (TURN REST) credentials: username ``<expiry unix time>:<session>``,
    password base64(HMAC-SHA1(secret, username)). coturn refuses them after the expiry time."""
    expires = int(time.time() if now is None else now) + ttl_seconds
    username = f"{expires}:{session_name}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def link_headers(settings: MediaSettings, session_id: str) -> list[str]:
    """One ``Link`` value per configured STUN/TURN URL (RFC 9725 4.6). TURN URLs carry credentials of their
    own for this session, valid ``turn_credential_ttl_seconds``; without a TURN secret none are given."""
    links = []
    session_name = hashlib.sha256(session_id.encode()).hexdigest()[:16]  # not the session's URL: coturn logs it
    for url in settings.ice_servers:
        link = f'<{url}>; rel="ice-server"'
        if url.startswith(("turn:", "turns:")):
            if not settings.turn_secret:
                continue
            username, credential = turn_credentials(settings.turn_secret, session_name,
                                                    settings.turn_credential_ttl_seconds)
            link += f'; username={_quoted(username)}; credential={_quoted(credential)}; credential-type="password"'
        links.append(link)
    return links


def announce_public_ip(sdp: str, public_ip: str | None) -> str:
    """Behind a 1:1 NAT the host candidates carry private addresses: add the public address with the same
    ports as server-reflexive candidates, as a STUN server would have reported them."""
    if not public_ip:
        return sdp
    family_v6 = ":" in public_ip
    out: list[str] = []
    seen: set[tuple[str, str, str]] = set()  # per media section
    for line in sdp.splitlines():
        out.append(line)
        if line.startswith("m="):
            seen.clear()
        if not line.startswith("a=candidate:") or " typ host" not in line:
            continue
        foundation, component, transport, _, address, port = line[len("a=candidate:"):].split()[:6]
        if (":" in address) != family_v6 or address == public_ip or (component, transport, port) in seen:
            continue
        seen.add((component, transport, port))
        priority = srflx_priority(int(component))
        out.append(f"a=candidate:{foundation}n {component} {transport} {priority} {public_ip} {port} "
                   f"typ srflx raddr {address} rport {port}")
    return "\r\n".join(out) + "\r\n"


class BadFragment(MediaError):
    status, code = 400, "invalid_sdpfrag"


@dataclass
class Fragment:
    """A trickle-ICE SDP fragment: credentials (a new pair means an ICE restart), candidates, end marker."""

    ufrag: str | None = None
    pwd: str | None = None
    candidates: list[RTCIceCandidate] = field(default_factory=list)
    complete: bool = False


def parse_fragment(text: str) -> Fragment:
    fragment = Fragment()
    mid: str | None = None
    index = -1
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            index += 1
            mid = None
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:"):]
        elif line.startswith("a=ice-ufrag:"):
            fragment.ufrag = line[len("a=ice-ufrag:"):]
        elif line.startswith("a=ice-pwd:"):
            fragment.pwd = line[len("a=ice-pwd:"):]
        elif line == "a=end-of-candidates":
            fragment.complete = True
        elif line.startswith("a=candidate:"):
            try:
                candidate = parse_candidate(line[len("a=candidate:"):])
            except ValueError as exc:
                raise BadFragment(str(exc)) from exc
            candidate.sdpMid = mid
            candidate.sdpMLineIndex = max(index, 0)
            fragment.candidates.append(candidate)
        elif line and not line.startswith(("a=", "m=", "c=")):
            raise BadFragment("a trickle-ICE fragment has only a=, m= and c= lines")
    return fragment


def candidate_allowed(address: str, allow_loopback: bool) -> bool:
    """Whether the server may send connectivity checks to a remote candidate: never to loopback, link-local,
    multicast or unspecified addresses (unless ``allow_loopback``, for tests on one machine); mDNS names
    (``<uuid>.local``) are fine, other host names are not (no DNS look-ups on a client's say-so)."""
    if address.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    return allow_loopback or not (ip.is_loopback or ip.is_link_local)


# a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
_CANDIDATE_ADDRESS = 4
_CANDIDATE_PORT = 5


class CandidateBudget:
    """The remote candidates one session may add (in its offer and trickled): a cap, and an address filter."""

    def __init__(self, limit: int, allow_loopback: bool):
        self.left = limit
        self.allow_loopback = allow_loopback

    def filter_offer(self, sdp: str) -> str:
        """The offer without the candidates the server will not check (and those over the cap)."""
        out = []
        for line in sdp.splitlines():
            if line.startswith("a=candidate:"):
                fields = line.split()
                if len(fields) <= _CANDIDATE_PORT or not self._take(fields[_CANDIDATE_ADDRESS]):
                    continue
            out.append(line)
        return "\r\n".join(out) + "\r\n"

    def admit(self, candidates: list[RTCIceCandidate]) -> list[RTCIceCandidate]:
        """The trickled candidates to add; past the cap the request is refused (429)."""
        if len(candidates) > self.left:
            raise MediaRateLimited("this session has sent as many ICE candidates as it may", retry_after=60)
        return [c for c in candidates if self._take(c.ip)]

    def _take(self, address: str) -> bool:
        if self.left <= 0 or not candidate_allowed(address, self.allow_loopback):
            return False
        self.left -= 1
        return True
