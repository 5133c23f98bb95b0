"""ICE for the server's peers: which STUN server the server itself uses, the STUN/TURN servers it tells
clients about (``Link: rel="ice-server"``, RFC 9725 4.6), the public address behind a 1:1 NAT, and trickled
candidates (``application/trickle-ice-sdpfrag``, RFC 8840).

aiortc gathers every candidate before it answers, so the answer is complete and the server never trickles.
TURN is for clients: the server has a public (or NAT-mapped) address and only uses STUN, and only when no
public address is configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCIceCandidate, RTCIceServer

from streams.aiortc_compat import parse_candidate, srflx_priority
from streams.errors import MediaError
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


def link_headers(settings: MediaSettings) -> list[str]:
    """One ``Link`` value per configured STUN/TURN URL; TURN ones carry the credentials."""
    links = []
    for url in settings.ice_servers:
        link = f'<{url}>; rel="ice-server"'
        if url.startswith(("turn:", "turns:")) and settings.ice_username and settings.ice_credential:
            link += (f"; username={_quoted(settings.ice_username)}; credential={_quoted(settings.ice_credential)}"
                     '; credential-type="password"')
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
