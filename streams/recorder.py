"""Recording a show: the forwarded encoded frames muxed into a file as they are, never re-encoded, with the
card pushes as timestamps for a shoppable replay.

VP8 goes into WebM, H.264 into fragmented MP4 (playable while written, and still valid after a crash); Opus
audio goes with either. Files live in ``<data_dir>/recordings/<show_id>/<UTC start>.<ext>``; the marks
(``mark(label)``) are appended to ``<same name>.marks.jsonl`` as they happen (``{"t": seconds, "label"}``) and
become the file's chapters when it closes. Recording starts at the first video keyframe (audio before it is
dropped); a host reconnect continues the same file, a codec change starts a new one.
"""

from __future__ import annotations

import io
import json
import logging
import struct
import time
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from streams.codecs import AUDIO_CLOCK, VIDEO_CLOCK, picture_size
from streams.forward import Frame

log = logging.getLogger("streams.recorder")
FORMATS = {"VP8": ("webm", "webm", {}), "H264": ("mp4", "mp4", {"movflags": "frag_keyframe+empty_moov"})}


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def _ogg_page(payload: bytes, sequence: int, flags: int, granule: int = 0) -> bytes:
    header = b"OggS" + struct.pack("<BBqIIIB", 0, flags, granule, 1, sequence, 0, 1) + bytes([len(payload)])
    page = header + payload
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def _opus_template() -> Any:
    """A stream carrying an OpusHead (RFC 7845): WebM and MP4 need it as codec private data, and PyAV copies
    it only from another stream. A three-page Ogg file (head, tags, one silent packet); nothing is decoded."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, 312, AUDIO_CLOCK, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"live" + struct.pack("<I", 0)
    pages = _ogg_page(head, 0, 2) + _ogg_page(tags, 1, 0) + _ogg_page(b"\xfc\xff\xfe", 2, 4, granule=960)
    return av.open(io.BytesIO(pages), format="ogg")


class Recorder:
    """Writes one show's frames to disk (a FrameListener of the show's relay)."""

    def __init__(self, directory: Path, has_video: bool) -> None:
        self.directory = directory
        self.has_video = has_video
        self.path: Path | None = None
        self.failed = False
        self._container: Any = None
        self._streams: dict[str, Any] = {}
        self._codec: str | None = None
        self._started = 0.0
        self._origin: dict[str, int] = {}  # per kind: the timeline timestamp that is pts 0 of the file
        self._marks: list[tuple[float, str]] = []

    def frame(self, kind: str, codec_name: str, data: bytes, frame: Frame) -> None:
        if self.failed:
            return
        try:
            self._write(kind, codec_name, data, frame)
        except Exception:
            log.exception("recording failed; this show is no longer recorded", extra={"path": str(self.path)})
            self.failed = True
            self.close()

    def _write(self, kind: str, codec_name: str, data: bytes, frame: Frame) -> None:
        if kind == "video" and self._codec not in (None, codec_name):
            self.close()  # the host switched codecs: a new file
        if self._container is None:
            if kind == "video" and frame.keyframe:
                self._open(codec_name, picture_size(codec_name, data))
            elif kind == "audio" and not self.has_video:
                self._open(None, None)
            else:
                return
        stream = self._streams.get(kind)
        if stream is None:
            return
        clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        if kind not in self._origin:
            elapsed = int((time.monotonic() - self._started) * clock)
            self._origin[kind] = frame.timestamp - elapsed
        packet = av.Packet(data)
        packet.stream = stream
        packet.time_base = Fraction(1, clock)
        packet.pts = packet.dts = frame.timestamp - self._origin[kind]
        packet.is_keyframe = frame.keyframe
        self._container.mux_one(packet)

    def _open(self, codec_name: str | None, size: tuple[int, int] | None) -> None:
        fmt, ext, options = FORMATS.get(codec_name or "VP8", FORMATS["VP8"])
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{stamp}.{ext}"
        self._container = av.open(str(self.path), "w", format=fmt, options=options)
        if codec_name is not None:
            width, height = size or (0, 0)
            video = self._container.add_mux_stream(codec_name.lower(), width=width, height=height)
            video.time_base = Fraction(1, VIDEO_CLOCK)
            self._streams["video"] = video
        template = _opus_template()
        self._streams["audio"] = self._container.add_stream_from_template(template.streams.audio[0])
        self._streams["audio"].time_base = Fraction(1, AUDIO_CLOCK)
        template.close()
        self._codec = codec_name
        self._started = time.monotonic()
        self._origin.clear()
        self._marks.clear()
        log.info("recording", extra={"path": str(self.path)})

    def mark(self, label: str) -> float | None:
        """Note a moment (a card push) at the current position of the file; None when nothing is recorded."""
        if self._container is None or self.path is None:
            return None
        at = round(time.monotonic() - self._started, 3)
        self._marks.append((at, label))
        with self.path.with_suffix(".marks.jsonl").open("a") as marks:
            marks.write(json.dumps({"t": at, "label": label, "at": datetime.now(UTC).isoformat()}) + "\n")
        return at

    def close(self) -> None:
        container, self._container = self._container, None
        self._streams.clear()
        self._codec = None
        if container is None:
            return
        try:
            if self._marks:
                end = time.monotonic() - self._started
                times = [t for t, _ in self._marks] + [end]
                container.set_chapters([
                    {"id": i + 1, "start": int(times[i] * 1000), "end": int(max(times[i + 1], times[i]) * 1000),
                     "time_base": Fraction(1, 1000), "metadata": {"title": label}}
                    for i, (_, label) in enumerate(self._marks)
                ])
            container.close()
        except Exception:
            log.exception("closing the recording failed", extra={"path": str(self.path)})
