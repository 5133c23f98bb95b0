"""The fan-out: one show's encoded frames from the host to every viewer, without decoding or encoding.

Each frame is packetized once; then one loop hands the same payloads to every viewer's outlet, which only
adds an RTP header, encrypts and sends. There is no task, queue or await per viewer and per frame. A viewer
joining mid-stream starts at once from the cached group of pictures (replayed with squeezed timestamps so the
newest picture shows without added delay) or at the next keyframe, which it asks for; a viewer whose socket
cannot keep up skips frames until the next keyframe, so nothing queues without bound.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from streams.aiortc_compat import Packetizer, ntp_now, packetizer
from streams.codecs import AUDIO_CLOCK, VIDEO_CLOCK, is_keyframe

GOP_MAX_FRAMES = 90  # a longer group of pictures is not cached: joiners ask for a keyframe instead
GOP_MAX_BYTES = 1_000_000
MAX_BACKLOG_BYTES = 256 * 1024  # unsent bytes on a viewer's socket before it skips to the next keyframe
KEYFRAME_INTERVAL = 0.5  # seconds between two keyframe requests to the host


@dataclass(slots=True)
class Frame:
    """An encoded frame on the show's timeline, packetized once for every viewer."""

    payloads: list[bytes]
    timestamp: int
    keyframe: bool
    size: int


class Outlet(Protocol):
    """One viewer's sender of one kind (streams.rtp_outlet.RtpOutlet, or a test double)."""

    waiting_for_keyframe: bool

    def send(self, payloads: list[bytes], timestamp: int, size: int, ntp: int) -> bool: ...

    def backlog(self) -> int: ...


class KeyframeRequests:
    """Asks the host for a keyframe at most once per interval. Requests in between merge into one, sent when
    the interval ends unless a keyframe arrived meanwhile."""

    def __init__(self, interval: float = KEYFRAME_INTERVAL) -> None:
        self.interval = interval
        self.ask: Callable[[], None] | None = None  # set while a host publishes
        self.sent = 0
        self._last = float("-inf")
        self._deferred: asyncio.TimerHandle | None = None

    def request(self) -> None:
        if self.ask is None or self._deferred is not None:
            return
        wait = self._last + self.interval - time.monotonic()
        if wait <= 0:
            self._send()
        else:
            self._deferred = asyncio.get_running_loop().call_later(wait, self._send)

    def received(self) -> None:
        """A keyframe arrived: a deferred request is no longer needed."""
        self.cancel()

    def cancel(self) -> None:
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None

    def _send(self) -> None:
        self._deferred = None
        if self.ask is not None:
            self._last = time.monotonic()
            self.sent += 1
            self.ask()


class Track:
    """One kind of media of one show: the viewers' outlets, the cached group of pictures, and a timeline that
    stays continuous when the host reconnects (viewers keep their sessions)."""

    def __init__(self, kind: str, clock_rate: int, keyframes: KeyframeRequests, *,
                 gop_max_frames: int = GOP_MAX_FRAMES, gop_max_bytes: int = GOP_MAX_BYTES,
                 max_backlog: int = MAX_BACKLOG_BYTES) -> None:
        self.kind = kind
        self.clock_rate = clock_rate
        self.keyframes = keyframes
        self.outlets: list[Outlet] = []
        self.frames_in = 0
        self.skipped = 0  # frames not sent to a viewer because its socket was full
        self._gop: list[Frame] | None = None
        self._gop_bytes = 0
        self._gop_max_frames = gop_max_frames if kind == "video" else 0
        self._gop_max_bytes = gop_max_bytes
        self._max_backlog = max_backlog
        self._offset = 0
        self._last: tuple[int, float] | None = None  # (timeline timestamp, monotonic time) of the last frame
        self._rebase = True

    @property
    def cached_frames(self) -> int:
        """Frames a joining viewer would get at once (0: it waits for the next keyframe, which it asks for)."""
        return len(self._gop or ())

    def restart(self) -> None:
        """A (new) host starts sending: rebase its timestamps after ours, and video waits for a keyframe."""
        self._rebase = True
        self._gop = None
        for outlet in self.outlets:
            outlet.waiting_for_keyframe = self.kind == "video"

    def timeline(self, timestamp: int, now: float) -> int:
        """The host's timestamp on the show's timeline, which continues across host reconnects."""
        if self._rebase:
            self._rebase = False
            if self._last is None:
                self._offset = -timestamp
            else:
                gap = max(1, int((now - self._last[1]) * self.clock_rate))
                self._offset = self._last[0] + gap - timestamp
        position = timestamp + self._offset
        self._last = (position, now)
        return position

    def push(self, frame: Frame, ntp: int) -> None:
        """Send one frame to every viewer, in one loop."""
        self.frames_in += 1
        self._cache(frame)
        max_backlog, keyframe, gone = self._max_backlog, frame.keyframe, None
        for outlet in self.outlets:
            if outlet.waiting_for_keyframe:
                if not keyframe:
                    continue
                outlet.waiting_for_keyframe = False
            if outlet.backlog() > max_backlog:
                self.skipped += 1
                outlet.waiting_for_keyframe = True
                if self.kind == "video":
                    self.keyframes.request()
            elif not outlet.send(frame.payloads, frame.timestamp, frame.size, ntp):
                gone = [*(gone or []), outlet]
        for outlet in gone or ():
            self.detach(outlet)

    def _cache(self, frame: Frame) -> None:
        if not self._gop_max_frames:
            return
        if frame.keyframe:
            self.keyframes.received()
            self._gop, self._gop_bytes = [frame], frame.size
        elif self._gop is not None:
            if len(self._gop) >= self._gop_max_frames or self._gop_bytes + frame.size > self._gop_max_bytes:
                self._gop = None
            else:
                self._gop.append(frame)
                self._gop_bytes += frame.size

    def attach(self, outlet: Outlet) -> None:
        """A viewer's sender is connected: video starts from the cached pictures, or asks for a keyframe."""
        self.outlets.append(outlet)
        if self.kind != "video":
            outlet.waiting_for_keyframe = False
            return
        if not self._gop:
            outlet.waiting_for_keyframe = True
            self.keyframes.request()
            return
        # Squeeze the cached frames' timestamps just below the newest one: the viewer decodes them all at
        # once and shows the newest, instead of playing the group back in real time behind the live edge.
        newest, ntp = self._gop[-1].timestamp, ntp_now()
        count = len(self._gop)
        for i, frame in enumerate(self._gop):
            outlet.send(frame.payloads, newest - (count - 1 - i), frame.size, ntp)
        outlet.waiting_for_keyframe = False

    def detach(self, outlet: Outlet) -> None:
        if outlet in self.outlets:
            self.outlets.remove(outlet)


FrameListener = Callable[[str, str, bytes, Frame], None]
"""Told of every forwarded frame: (kind, codec name, encoded frame, frame on the show's timeline)."""


class Relay:
    """One show's fan-out: the publisher's receivers feed ``sink``; viewers' outlets attach to the tracks."""

    def __init__(self, *, gop_max_frames: int = GOP_MAX_FRAMES) -> None:
        self.keyframes = KeyframeRequests()
        self.video = Track("video", VIDEO_CLOCK, self.keyframes, gop_max_frames=gop_max_frames)
        self.audio = Track("audio", AUDIO_CLOCK, self.keyframes)
        self.listeners: list[FrameListener] = []
        self.last_media_at: float | None = None
        self.on_media: Callable[[], None] | None = None  # told of each frame while nobody knows we are on air
        self._packetizers: dict[str, Packetizer] = {}

    def track(self, kind: str) -> Track:
        return self.video if kind == "video" else self.audio

    def restart(self, ask_keyframe: Callable[[], None] | None) -> None:
        """A host starts (or stops, with None) publishing to this show."""
        self.keyframes.cancel()
        self.keyframes.ask = ask_keyframe
        self._packetizers.clear()
        self.video.restart()
        self.audio.restart()

    def sink(self, codec_name: str, data: bytes, timestamp: int) -> None:
        """A reassembled encoded frame from the host (called on the event loop by the tapped receiver)."""
        now = time.monotonic()
        self.last_media_at = now
        kind = "audio" if codec_name.lower() == "opus" else "video"
        track = self.video if kind == "video" else self.audio
        pack = self._packetizers.get(codec_name)
        if pack is None:
            pack = self._packetizers[codec_name] = packetizer(codec_name)
        frame = Frame(pack(data), track.timeline(timestamp, now), is_keyframe(codec_name, data), len(data))
        track.push(frame, ntp_now())
        for listener in self.listeners:
            listener(kind, codec_name, data, frame)
        if self.on_media is not None:
            self.on_media()

    def close(self) -> None:
        self.keyframes.ask = None
        self.keyframes.cancel()
        self.video.outlets.clear()
        self.audio.outlets.clear()
        self.listeners.clear()
