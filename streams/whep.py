"""WHEP playback: a viewer's offer becomes a send-only peer whose senders never encode; once connected, each
sender's outlet joins the show's fan-out.

Who may watch is the caller's business (live/api/media.py asks live/policy.py: anyone while the show is
live, unless banned).
The session's URL is its only credential: whoever holds it may end it, which is what lets anonymous viewers
hang up.

Viewers get exactly the host's video codec (VP8, or H.264 as the host negotiated it) and Opus; before any host
published, the show's codec is VP8 when the viewer offers it.
"""

from __future__ import annotations

from collections.abc import Callable

from streams.codecs import VideoCodec, opus_preferences, video_preferences
from streams.forward import Relay
from streams.offer import Offer, UnsupportedSdp
from streams.peer import PeerSession
from streams.rtp_outlet import ParkedTrack, RtpOutlet, tap_sender
from streams.settings import MediaSettings


def choose_codec(offer: Offer, current: VideoCodec | None) -> VideoCodec | None:
    """The show's codec if the viewer can take it (else 422: nothing is transcoded); VP8 if nothing is set."""
    if "video" not in offer.kinds:
        return current
    if current is not None:
        if current not in offer.video_codecs:
            raise UnsupportedSdp(f"this show's video is {current.name}; offer it to watch", code="codec_unsupported")
        return current
    return next((c for c in offer.video_codecs if c.name == "VP8"), offer.video_codecs[0])


async def open_viewer(show_id: str, relay: Relay, settings: MediaSettings, user_id: str | None, offer: Offer,
                      codec: VideoCodec | None, client_address: str = "") -> tuple[PeerSession, str]:
    """A send-only peer whose outlets join the relay once connected; and the answer."""
    session = PeerSession(show_id, "viewer", user_id, offer, settings, client_address)
    session.video_codec = codec
    try:
        for kind in offer.kinds:
            transceiver = session.pc.addTransceiver(ParkedTrack(kind), direction="sendonly")
            if kind == "video" and codec is not None:
                transceiver.setCodecPreferences(video_preferences([codec]))
            else:
                transceiver.setCodecPreferences(opus_preferences())
            tap_sender(transceiver.sender, _joiner(session, relay), relay.keyframes.request)
        return session, await session.answer()
    except BaseException:
        await session.close()
        raise


def _joiner(session: PeerSession, relay: Relay) -> Callable[[RtpOutlet], None]:
    def join(outlet: RtpOutlet) -> None:
        if not session.closed:
            session.outlets.append(outlet)
            relay.track(outlet.kind).attach(outlet)

    return join
