"""WHIP ingest (RFC 9725): the host's offer becomes a receive-only peer whose encoded frames feed the show's
fan-out, never a decoder.

Who may publish: the show's host or its merchant, and only while the show is live: going live opens the sale
(stock moves into Redis), which a media (re)connect must never do by accident, so the studio starts the show
first and then publishes. One publisher at a time: a second one gets 409 while the first is active (connected
and sending, or still connecting); a publisher that went quiet is replaced, so a host can reconnect.
"""

from __future__ import annotations

import time

from db.models import Show
from live.auth import Principal
from live.config import Settings
from live.errors import Conflict
from live.shows import require_host_or_owner
from streams.aiortc_compat import tap_receiver, yield_while_receiving
from streams.codecs import VideoCodec, opus_preferences, video_preferences
from streams.forward import Relay
from streams.offer import Offer
from streams.peer import PeerSession

CONNECT_GRACE = 15.0  # seconds a new publisher may take to connect before another may replace it
MEDIA_TIMEOUT = 2.5  # seconds without a frame before the host counts as gone (viewers see 'paused')


def check_can_publish(principal: Principal, show: Show) -> None:
    require_host_or_owner(principal, show)
    if show.state == "scheduled":
        raise Conflict("start the show before publishing (POST /api/shows/{id}/start)", code="show_not_live")
    if show.state != "live":
        raise Conflict("the show has ended", code="show_ended")


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
        raise Conflict("another publisher is live on this show; end it first (DELETE its session)",
                       code="publisher_active")


def video_order(offer: Offer, current: VideoCodec | None) -> list[VideoCodec]:
    """The offer's video codecs with the show's current one first, so its viewers can stay on it."""
    return sorted(offer.video_codecs, key=lambda codec: codec != current)


async def open_publisher(show_id: str, relay: Relay, settings: Settings, user_id: str, offer: Offer,
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
