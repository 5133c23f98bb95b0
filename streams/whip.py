"""WHIP ingest (RFC 9725): the host's offer becomes a receive-only peer whose encoded frames feed the show's
fan-out, never a decoder.

Who may publish is the caller's business (live/api/media.py asks live/policy.py: the show's host or merchant,
while the show is live). One publisher at a time: a second one gets 409 while the first is active (connected
and sending, or still connecting); a publisher that went quiet is replaced, so a host can reconnect.
"""

from __future__ import annotations

import time

from streams.aiortc_compat import tap_receiver, yield_while_receiving
from streams.codecs import VideoCodec, opus_preferences, video_preferences
from streams.errors import MediaConflict
from streams.forward import Relay
from streams.offer import Offer
from streams.peer import PeerSession
from streams.settings import MediaSettings

CONNECT_GRACE = 15.0  # seconds a new publisher may take to connect before another may replace it
MEDIA_TIMEOUT = 2.5  # seconds without a frame before the host counts as gone (viewers see 'paused')


def is_active(session: PeerSession, relay: Relay, now: float) -> bool:
    """Still the show's publisher: connecting within the grace period, or connected and sending."""
    if session.closed:
        return False
    if session.connected_at is None:
        return now - session.created_at < CONNECT_GRACE
    last = max(session.connected_at, relay.last_media_at or 0.0)
    return now - last < MEDIA_TIMEOUT


def check_no_active_publisher(current: PeerSession | None, relay: Relay) -> None:
    if current is not None and is_active(current, relay, time.monotonic()):
        raise MediaConflict("another publisher is live on this show; end it first (DELETE its session)",
                       code="publisher_active")


def video_order(offer: Offer, current: VideoCodec | None) -> list[VideoCodec]:
    """The offer's video codecs with the show's current one first, so its viewers can stay on it."""
    return sorted(offer.video_codecs, key=lambda codec: codec != current)


async def open_publisher(show_id: str, relay: Relay, settings: MediaSettings, user_id: str, offer: Offer,
                         current: VideoCodec | None) -> tuple[PeerSession, str]:
    """A receive-only peer for the host's offer with its receivers tapped into the relay; and the answer."""
    session = PeerSession(show_id, "publisher", user_id, offer, settings)
    try:
        for kind in offer.kinds:
            transceiver = session.pc.addTransceiver(kind, direction="recvonly")
            if kind == "video":
                ordered = video_order(offer, current)
                transceiver.setCodecPreferences(video_preferences(ordered))
                session.video_codec = ordered[0]  # the answer lists it first: the host sends it
            else:
                transceiver.setCodecPreferences(opus_preferences())
            tap_receiver(transceiver.receiver, relay.sink)
            session.receivers[kind] = transceiver.receiver
        answer = await session.answer()
        for receiver in session.receivers.values():
            yield_while_receiving(receiver)
        return session, answer
    except BaseException:
        await session.close()
        raise
