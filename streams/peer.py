"""One WHIP or WHEP session: a peer connection, the resource URL that ends it (``Location``), its ``ETag``,
and what may change it afterwards (trickled candidates; ICE restarts are not supported by aiortc)."""

from __future__ import annotations

import secrets
import time
from typing import Literal

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

from streams.aiortc_compat import NEGOTIATION_ERRORS
from streams.codecs import VideoCodec
from streams.errors import MediaError, SessionNotFound
from streams.ice import CandidateBudget, announce_public_ip, parse_fragment, rtc_configuration
from streams.offer import Offer, UnsupportedSdp
from streams.rtp_outlet import RtpOutlet
from streams.settings import MediaSettings

Role = Literal["publisher", "viewer"]
FRAGMENT_TYPE = "application/trickle-ice-sdpfrag"


class PeerSession:
    """A peer connection and its bookkeeping; the registry decides what its connection state means."""

    def __init__(self, show_id: str, role: Role, user_id: str | None, offer: Offer, settings: MediaSettings,
                 client_address: str = "") -> None:
        self.id = secrets.token_urlsafe(18)  # the resource URL is the viewer's only credential: unguessable
        self.etag = f'"{secrets.token_hex(8)}"'
        self.show_id = show_id
        self.role: Role = role
        self.user_id = user_id
        self.offer = offer
        self.pc = RTCPeerConnection(rtc_configuration(settings))
        self.created_at = time.monotonic()
        self.connected_at: float | None = None
        self.video_codec: VideoCodec | None = None
        self.receivers: dict[str, RTCRtpReceiver] = {}  # a publisher's, by kind
        self.outlets: list[RtpOutlet] = []  # a viewer's, once connected
        self.closed = False
        self.client_address = client_address
        self.candidates = CandidateBudget(settings.ice_candidates_per_session, settings.ice_allow_loopback)
        self._public_ip = settings.public_ip

    @property
    def location(self) -> str:
        return f"/api/shows/{self.show_id}/{'whip' if self.role == 'publisher' else 'whep'}/{self.id}"

    async def answer(self) -> str:
        """Apply the offer and answer it with every local candidate (aiortc gathers before answering)."""
        try:
            remote = self.candidates.filter_offer(self.offer.text)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=remote, type="offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except NEGOTIATION_ERRORS as exc:
            raise UnsupportedSdp(f"the offer cannot be answered: {exc}"[:300]) from exc
        return announce_public_ip(self.pc.localDescription.sdp, self._public_ip)

    async def trickle(self, raw: bytes, content_type: str, if_match: str | None) -> None:
        """Add trickled remote candidates (RFC 9725 4.3.1). An ICE restart is refused with 422, as RFC 9725
        asks of a session that supports trickle but not restarts; a stale ETag is 412."""
        if content_type != FRAGMENT_TYPE:
            raise MediaError(f"send candidates as {FRAGMENT_TYPE}", code="unsupported_media_type", status=415)
        if if_match == "*":
            raise MediaError("ICE restarts are not supported: start a new session", code="ice_restart_unsupported",
                              status=422)
        if if_match is not None and if_match != self.etag:
            raise MediaError("the session changed (ETag mismatch)", code="precondition_failed", status=412)
        fragment = parse_fragment(raw.decode("utf-8", errors="replace"))
        if (fragment.ufrag or fragment.pwd) and fragment.ufrag not in self.offer.ufrags:
            raise MediaError("ICE restarts are not supported: start a new session", code="ice_restart_unsupported",
                              status=422)
        for candidate in self.candidates.admit(fragment.candidates):
            await self.pc.addIceCandidate(candidate)
        if fragment.complete:
            await self.pc.addIceCandidate(None)

    async def close(self) -> None:
        self.closed = True
        self.outlets.clear()
        await self.pc.close()


def find_session(sessions: dict[str, PeerSession], show_id: str, session_id: str, role: Role) -> PeerSession:
    session = sessions.get(session_id)
    if session is None or session.show_id != show_id or session.role != role or session.closed:
        raise SessionNotFound("no such media session")
    return session
