"""Every media session of this server, by show: who publishes, who watches, whether the host is on air, and
what is recorded. Opened and closed with the app (``media_ctx``), so no peer outlives it.

Lifecycle: the host is on air from its first frame until its session ends or no frame came for
``MEDIA_TIMEOUT`` seconds; each change is told to ``on_air_changed`` (the web app turns it into the socket
``show`` event). Viewers keep their sessions while the host is away and resume at the host's next keyframe.
When a show ends (``end_show``) every peer of the show closes.

On an edge node a show has no publisher but a ``Pull`` from its origin feeding the same fan-out; it starts with
the first viewer that comes with an ``Upstream`` and stops when the last viewer leaves. If the pull fails (the
origin died), the show's viewers here are hung up so that they come back through placement.

One show's state is a ``ShowMedia`` (streams/show_media.py); who may open a viewing session, ``ViewerAdmission``
(streams/admission.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCRtpReceiver

from streams import whep, whip
from streams.admission import ViewerAdmission
from streams.aiortc_compat import request_keyframe
from streams.errors import MediaError
from streams.offer import Offer
from streams.peer import PeerSession, Role, find_session
from streams.pull import Pull, Upstream
from streams.settings import MediaSettings
from streams.show_media import ShowMedia

log = logging.getLogger("streams.registry")
CONNECT_TIMEOUT = 30.0  # a publishing session that has not connected by then is closed
TICK = 0.5


OnAirChanged = Callable[[str, bool], Coroutine[Any, Any, None]]


class MediaRegistry:
    def __init__(self, settings: MediaSettings, on_air_changed: OnAirChanged) -> None:
        self.settings = settings
        self.shows: dict[str, ShowMedia] = {}
        self.sessions: dict[str, PeerSession] = {}
        self.max_viewers_per_show = settings.max_viewers_per_show
        self._on_air_changed = on_air_changed
        self._tasks: set[asyncio.Task[Any]] = set()
        self._admission = ViewerAdmission(settings)
        self._ticker: asyncio.Task[None] | None = None

    # -- sessions ------------------------------------------------------------------------------------------

    def session(self, show_id: str, session_id: str, role: Role) -> PeerSession:
        return find_session(self.sessions, show_id, session_id, role)

    @property
    def load(self) -> int:
        """Audience sessions on this node (other nodes' pulls are not audience)."""
        return sum(media.audience for media in self.shows.values())

    def relayed(self) -> dict[str, int]:
        """Shows this node relays from an origin, with their viewers here."""
        return {show_id: len(media.viewers) for show_id, media in self.shows.items() if media.pull is not None}

    async def publish(self, show_id: str, user_id: str, offer: Offer, record: bool = False) -> tuple[PeerSession, str]:
        """The host's WHIP offer: replaces a publisher that went quiet, refuses one that is active (409)."""
        media = self.shows.setdefault(show_id, ShowMedia(show_id))
        try:
            whip.check_no_active_publisher(media.publisher, media.relay)
            session, answer = await whip.open_publisher(show_id, media.relay, self.settings, user_id, offer,
                                                        media.codec)
        except BaseException:
            self._forget_if_idle(media)
            raise
        try:
            whip.check_no_active_publisher(media.publisher, media.relay)  # another request won the race
        except MediaError:
            await session.close()
            raise
        if media.publisher is not None:
            await self.end(media.publisher)
        if media.pull is not None:  # this node was an edge of the show: it is its origin now; viewers stay
            pull, media.pull = media.pull, None
            await pull.close()
        self._add(session)
        self.shows[show_id] = media
        media.publisher = session
        video = session.receivers.get("video")
        media.relay.restart(self._keyframe_asker(video) if video is not None else None)
        media.relay.last_media_at = None
        media.relay.on_media = lambda: self._went_on_air(media)
        if session.video_codec is not None and session.video_codec != media.codec:
            stale = [v for v in media.viewers.values() if v.video_codec not in (None, session.video_codec)]
            for viewer in stale:  # they cannot take the new codec; they reconnect and negotiate it
                await self.end(viewer)
            media.codec = session.video_codec
        media.record = record
        media.sync_recording(self.settings.recordings_dir, "video" in offer.kinds)
        return session, answer

    async def watch(self, show_id: str, user_id: str | None, offer: Offer, *, upstream: Upstream | None = None,
                    node: bool = False, client_address: str = "") -> tuple[PeerSession, str]:
        """A viewer's WHEP offer. ``upstream``: the show's origin is another node, pull from it unless this
        node already does; ``node``: the viewer is another node's pull (not counted against the limits)."""
        media = self.shows.setdefault(show_id, ShowMedia(show_id))
        try:
            if not node:
                self._admission.check(media.audience, self.max_viewers_per_show, client_address,
                                      self.sessions.values())
            if upstream is not None and media.publisher is None:
                await self._ensure_pull(media, upstream)
            codec = whep.choose_codec(offer, media.codec)
            with self._admission.opening(client_address):
                session, answer = await whep.open_viewer(show_id, media.relay, self.settings, user_id, offer,
                                                         codec, client_address)
        except BaseException:
            self._forget_if_idle(media)
            raise
        self.shows[show_id] = media
        if media.codec is None:
            media.codec = codec
        self._add(session)
        media.viewers[session.id] = session
        if node:
            media.nodes.add(session.id)
        return session, answer

    def pending_from(self, client_address: str) -> int:
        """Viewing sessions from this address being opened or not connected yet."""
        return self._admission.pending_from(client_address, self.sessions.values())

    async def _ensure_pull(self, media: ShowMedia, upstream: Upstream) -> None:
        async with media.pulling:
            if media.pull is not None and not media.pull.closed:
                return
            pull = Pull(media.show_id, media.relay, self.settings)
            try:
                await pull.open(upstream)
            except BaseException:
                await pull.close()
                raise
            media.pull = pull
            media.codec = pull.video_codec or media.codec

            @pull.pc.on("connectionstatechange")
            def changed() -> None:
                if pull.pc.connectionState in ("failed", "closed") and media.pull is pull:
                    self._spawn(self._lost_origin(media, pull))

    async def _lost_origin(self, media: ShowMedia, pull: Pull) -> None:
        """The origin is gone: hang up this node's viewers of the show; they come back through placement."""
        log.warning("lost the show's origin", extra={"show_id": media.show_id})
        media.pull = None
        await pull.close()
        for viewer in list(media.viewers.values()):
            await self.end(viewer)
        self._forget_if_idle(media)

    def _forget_if_idle(self, media: ShowMedia) -> None:
        if media.idle and self.shows.get(media.show_id) is media:
            del self.shows[media.show_id]

    def _add(self, session: PeerSession) -> None:
        self.sessions[session.id] = session

        @session.pc.on("connectionstatechange")
        def changed() -> None:
            state = session.pc.connectionState
            if state == "connected" and session.connected_at is None:
                session.connected_at = time.monotonic()
            elif state in ("failed", "closed") and not session.closed:
                self._spawn(self.end(session))

    async def end(self, session: PeerSession) -> None:
        """Close a session (DELETE, failure, show end); a publisher's end takes the show off air."""
        if session.closed:
            return
        self.sessions.pop(session.id, None)
        media = self.shows.get(session.show_id)
        if media is not None:
            for outlet in session.outlets:
                media.relay.track(outlet.kind).detach(outlet)
            media.viewers.pop(session.id, None)
            media.nodes.discard(session.id)
            if media.pull is not None and not media.viewers:  # the edge's last viewer left: stop pulling
                pull, media.pull = media.pull, None
                self._spawn(pull.close())
            if media.publisher is session:
                media.publisher = None
                media.relay.restart(None)
                await self._went_off_air(media)
        await session.close()
        if media is not None:
            self._forget_if_idle(media)

    # -- the show's state ----------------------------------------------------------------------------------

    async def end_show(self, show_id: str) -> None:
        """The show ended: close all its peers."""
        media = self.shows.get(show_id)
        if media is not None:
            await self.close_show(media)

    def set_recording(self, show_id: str, record: bool) -> None:
        """Start or stop recording the show (on the node that publishes it)."""
        media = self.shows.get(show_id)
        if media is not None:
            media.record = record
            has_video = media.publisher is None or "video" in media.publisher.offer.kinds
            media.sync_recording(self.settings.recordings_dir, has_video)

    async def close_show(self, media: ShowMedia) -> None:
        for session in [*media.viewers.values(), *([media.publisher] if media.publisher else [])]:
            await self.end(session)
        media.record = False
        media.sync_recording(self.settings.recordings_dir, True)
        if media.pull is not None:
            pull, media.pull = media.pull, None
            await pull.close()
        media.relay.close()
        self.shows.pop(media.show_id, None)

    def _went_on_air(self, media: ShowMedia) -> None:
        media.relay.on_media = None  # nothing to do per frame while on air
        if not media.on_air:
            media.on_air = True
            self._spawn(self._on_air_changed(media.show_id, True))

    async def _went_off_air(self, media: ShowMedia) -> None:
        media.relay.on_media = (lambda: self._went_on_air(media)) if media.publisher else None
        if media.on_air:
            media.on_air = False
            await self._on_air_changed(media.show_id, False)

    def _keyframe_asker(self, receiver: RTCRtpReceiver) -> Callable[[], None]:
        return lambda: self._spawn(request_keyframe(receiver))

    def mark(self, show_id: str, label: str) -> float | None:
        """Note a moment (e.g. a card push) in the show's recording: seconds into the file, or None."""
        media = self.shows.get(show_id)
        return media.mark(label) if media is not None else None

    # -- housekeeping --------------------------------------------------------------------------------------

    async def _tick(self) -> None:
        """Off air after ``MEDIA_TIMEOUT`` without frames; close sessions that never connected."""
        now = time.monotonic()
        for media in list(self.shows.values()):
            last = media.relay.last_media_at
            if media.on_air and (last is None or now - last > whip.MEDIA_TIMEOUT):
                await self._went_off_air(media)
        for session in list(self.sessions.values()):
            timeout = CONNECT_TIMEOUT if session.role == "publisher" else self.settings.whep_connect_timeout_seconds
            if session.connected_at is None and now - session.created_at > timeout:
                await self.end(session)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                await self._tick()
            except Exception:
                log.exception("media housekeeping failed")

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick_forever())

    async def close(self) -> None:
        """Close every peer (the app is stopping)."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        for media in list(self.shows.values()):
            await self.close_show(media)
        for session in list(self.sessions.values()):
            await self.end(session)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
