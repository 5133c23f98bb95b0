"""Reading a WHIP or WHEP offer before any peer connection exists: malformed SDP is a 400, an offer the
server cannot serve (wrong direction, no common codec, simulcast, data channels) a 422, each with a message
that says what to change."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc.sdp import MediaDescription

from streams.aiortc_compat import common_video_codecs, parse_sdp
from streams.codecs import VideoCodec
from streams.errors import MediaError

SDP_TYPE = "application/sdp"
MAX_SDP_BYTES = 64 * 1024
SENDING = ("sendonly", "sendrecv")
RECEIVING = ("recvonly", "sendrecv")


class InvalidSdp(MediaError):
    status, code = 400, "invalid_sdp"


class UnsupportedSdp(MediaError):
    status, code = 422, "unsupported_sdp"


@dataclass
class Offer:
    """What the server needs from an offer: its text, the media it carries and the codecs it can use."""

    text: str
    kinds: list[str] = field(default_factory=list)  # in the offer's order
    video_codecs: list[VideoCodec] = field(default_factory=list)  # the ones aiortc can do, offer's order
    has_opus: bool = False
    ufrags: set[str] = field(default_factory=set)


def read_offer(raw: bytes, content_type: str, *, client_sends: bool) -> Offer:
    """Validate a WHIP (``client_sends``) or WHEP offer."""
    if content_type != SDP_TYPE:
        raise MediaError(f"send the offer as {SDP_TYPE}", code="unsupported_media_type", status=415)
    if len(raw) > MAX_SDP_BYTES:
        raise MediaError("the offer is too large", code="payload_too_large", status=413)
    try:
        text = raw.decode("utf-8")
        if not text.lstrip().startswith("v=0"):
            raise ValueError("an SDP offer starts with v=0")
        description = parse_sdp(text)
    except Exception as exc:  # aiortc's parser raises many kinds of errors on garbage
        raise InvalidSdp(f"the body is not a valid SDP offer: {exc}"[:300]) from exc
    offer = Offer(text=text)
    for media in description.media:
        _read_section(offer, media, client_sends=client_sends)
    if not offer.kinds:
        raise UnsupportedSdp("the offer has no audio or video")
    if len(description.media) > 1 and not any(g.semantic == "BUNDLE" for g in description.group):
        raise UnsupportedSdp("bundle the media sections (a=group:BUNDLE, max-bundle)")
    if "a=simulcast:" in text:
        raise UnsupportedSdp("simulcast is not supported: send one encoding")
    return offer


def _read_section(offer: Offer, media: MediaDescription, *, client_sends: bool) -> None:
    """Check one m= section of the offer and note what it brings (its kind, ICE ufrag and codecs)."""
    if media.kind not in ("audio", "video"):
        raise UnsupportedSdp(f"only audio and video are served, not {media.kind}")
    if media.kind in offer.kinds:
        raise UnsupportedSdp(f"at most one {media.kind} section")
    if not media.ice or not media.ice.usernameFragment or not media.ice.password:
        raise InvalidSdp("an m= section has no ICE username fragment or password")
    if not media.dtls or not media.dtls.fingerprints:
        raise InvalidSdp("an m= section has no DTLS fingerprint")
    if not media.rtcp_mux:
        raise UnsupportedSdp("RTCP must be multiplexed (a=rtcp-mux)")
    wanted = SENDING if client_sends else RECEIVING
    if (media.direction or "sendrecv") not in wanted:
        who = "publisher must send" if client_sends else "viewer must receive"
        raise UnsupportedSdp(f"the {who} {media.kind} (direction {' or '.join(wanted)})")
    offer.kinds.append(media.kind)
    offer.ufrags.add(media.ice.usernameFragment)
    if media.kind == "video":
        offer.video_codecs = [VideoCodec.of(mime, params) for mime, params in common_video_codecs(media.rtp.codecs)]
        if not offer.video_codecs:
            raise UnsupportedSdp("no common video codec: offer VP8 or H.264 (packetization-mode=1)",
                                 code="codec_unsupported")
    else:
        offer.has_opus = any(c.mimeType.lower() == "audio/opus" for c in media.rtp.codecs)
        if not offer.has_opus:
            raise UnsupportedSdp("audio must be Opus", code="codec_unsupported")
