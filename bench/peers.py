"""Synthetic WebRTC peers for the media tests and bench/relay.py: a publisher whose frames carry their own
number (a barcode a viewer can read back after decoding), and viewers that either decode and read the numbers
(tests) or only count encoded frames (bench: the viewers must not spend the machine's CPU on decoding).

Run as processes: ``python -m bench.peers publish BASE_URL SHOW_ID TOKEN [--size 640x480 --texture]`` prints a
JSON line when published, then one a second with the frames sent and keyframe requests received;
``python -m bench.peers watch BASE_URL SHOW_ID --count N [--counter rtp|reassembled]`` runs N counting viewers
and prints their frame counts twice a second until SIGTERM. By default they count from RTP headers alone
(``RtpCounter``): the bench's viewers share the machine's cores with the servers they measure, and aiortc's
receive path (parsing, NACKs, jitter buffer, reassembly: ``--counter reassembled``) costs them more.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from av import VideoFrame

from bench.aiortc_hooks import count_rtp, fix_vp8_bitrate, on_keyframe_request
from streams.aiortc_compat import parse_sdp, request_keyframe, tap_receiver

BITS = 12  # the frame number, modulo 4096, as 12 black or white blocks across the top of the picture
NO_ICE_SERVERS = RTCConfiguration(iceServers=[])  # no public STUN server: these machines have no internet


class NumberedTrack(VideoStreamTrack):
    """Frames at 30 fps whose top band encodes the frame number; with ``texture`` the rest of the picture is
    moving noise, so the encoder spends a realistic bitrate (a still picture would cost almost nothing)."""

    def __init__(self, width: int = 320, height: int = 240, texture: bool = False) -> None:
        super().__init__()
        self.width, self.height, self.sent = width, height, 0
        self._band = max(16, height // 6)
        self._noise = os.urandom(width * height * 2) if texture else None

    def picture(self, number: int) -> VideoFrame:
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        luma = frame.planes[0]
        stride = luma.line_size
        block = self.width // BITS
        row = b"".join((b"\xeb" if number >> (BITS - 1 - i) & 1 else b"\x10") * block for i in range(BITS))
        row = row.ljust(stride, b"\x80")
        rest = self.height - self._band
        if self._noise is None:
            body = b"\x80" * (stride * rest)
        else:
            start = (number * stride * 3) % (len(self._noise) - stride * rest)
            body = self._noise[start:start + stride * rest]
        luma.update(row * self._band + body)
        for chroma in frame.planes[1:]:
            chroma.update(b"\x80" * chroma.buffer_size)
        return frame

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self.picture(self.sent)
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


def read_number(frame: VideoFrame) -> int:
    """The number a NumberedTrack drew on this (decoded) frame."""
    luma = frame.planes[0]
    data, stride = bytes(luma), luma.line_size
    block = frame.width // BITS
    row = (max(16, frame.height // 6) // 2) * stride
    number = 0
    for i in range(BITS):
        number = (number << 1) | (data[row + i * block + block // 2] > 128)
    return number


async def exchange(session: aiohttp.ClientSession, url: str, pc: RTCPeerConnection,
                    headers: dict[str, str]) -> str:
    """Offer, POST, apply the answer: the WHIP/WHEP client side. Returns the session's absolute URL."""
    await pc.setLocalDescription(await pc.createOffer())
    async with session.post(url, data=pc.localDescription.sdp,
                            headers={**headers, "Content-Type": "application/sdp"}) as response:
        body = await response.text()
        if response.status != 201:
            raise RuntimeError(f"POST {url}: {response.status} {body}")
        location = str(response.url.join(aiohttp.client.URL(response.headers["Location"])))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return location


@dataclass
class Publisher:
    pc: RTCPeerConnection
    track: NumberedTrack
    location: str
    keyframe_requests: list[float] = field(default_factory=list)


def only(mime_type: str) -> list[Any]:
    """Codec preferences for one video codec (H.264: constrained baseline, as browsers send it)."""
    return [c for c in RTCRtpSender.getCapabilities("video").codecs
            if c.mimeType == mime_type and c.parameters.get("profile-level-id", "42e01f") == "42e01f"]


async def publish(session: aiohttp.ClientSession, base: str, show_id: str, token: str, *, width: int = 320,
                  height: int = 240, texture: bool = False, audio: bool = True, codec: str | None = None) -> Publisher:
    """A WHIP publisher; ``codec`` ('video/H264' or 'video/VP8') restricts its offer to that codec."""
    pc = RTCPeerConnection(NO_ICE_SERVERS)
    track = NumberedTrack(width, height, texture)
    requests: list[float] = []
    transceiver = pc.addTransceiver(track, direction="sendonly")
    if codec:
        transceiver.setCodecPreferences(only(codec))
    sender = transceiver.sender
    on_keyframe_request(sender, lambda: requests.append(time.monotonic()))
    if audio:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    location = await exchange(session, f"{base}/api/shows/{show_id}/whip", pc, {"Authorization": f"Bearer {token}"})
    return Publisher(pc, track, location, requests)


@dataclass
class Viewer:
    """A WHEP viewer. ``numbers`` holds the frame numbers it decoded (decode=True) and ``frames`` the encoded
    video frames it received (both modes)."""

    pc: RTCPeerConnection
    location: str = ""
    frames: int = 0
    keyframes: int = 0
    octets: int = 0
    numbers: list[int] = field(default_factory=list)
    first_frame_at: float | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def close(self, session: aiohttp.ClientSession | None = None) -> None:
        if session is not None and self.location:
            async with session.delete(self.location):
                pass
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


def _counter(viewer: Viewer) -> Callable[[str, bytes, int], None]:
    def count(codec: str, data: bytes, timestamp: int) -> None:
        if codec.lower() != "opus":
            viewer.frames += 1
            viewer.octets += len(data)
            viewer.keyframes += codec == "VP8" and not data[0] & 1
            if viewer.first_frame_at is None:
                viewer.first_frame_at = time.monotonic()

    return count


async def watch(session: aiohttp.ClientSession, base: str, show_id: str, *, decode: bool = True,
                headers: dict[str, str] | None = None, codec: str | None = None) -> Viewer:
    pc = RTCPeerConnection(NO_ICE_SERVERS)
    viewer = Viewer(pc)
    transceivers = [pc.addTransceiver(kind, direction="recvonly") for kind in ("video", "audio")]
    if codec:
        transceivers[0].setCodecPreferences(only(codec))
    if decode:
        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "video":
                viewer.tasks.append(asyncio.ensure_future(_read_numbers(viewer, track)))
    else:
        for transceiver in transceivers:
            tap_receiver(transceiver.receiver, _counter(viewer))
    viewer.location = await exchange(session, f"{base}/api/shows/{show_id}/whep", pc, headers or {})
    return viewer


class RtpCounter:
    """Counts a viewer's complete video frames from the RTP headers of the packets it gets: a frame counts when
    its last (marker) packet arrives with no sequence number missed since the previous frame's. Nothing is
    retransmitted to it (it sends no NACK), so a lost packet is a lost frame: stricter than a browser."""

    def __init__(self, viewer: Viewer, video_payload_types: set[int]) -> None:
        self.viewer = viewer
        self.video = video_payload_types
        self.lost = 0
        self._last_seq: int | None = None
        self._damaged = True  # the first frame may have started before we joined

    def packet(self, data: bytes) -> None:
        if len(data) < 12 or data[1] & 0x7F not in self.video:
            return
        seq = data[2] << 8 | data[3]
        if self._last_seq is not None and seq != (self._last_seq + 1) & 0xFFFF:
            self._damaged = True
            self.lost += (seq - self._last_seq - 1) & 0xFFFF
        self._last_seq = seq
        self.viewer.octets += len(data) - 12
        if data[1] & 0x80:
            if not self._damaged:
                self.viewer.frames += 1
                if self.viewer.first_frame_at is None:
                    self.viewer.first_frame_at = time.monotonic()
            self._damaged = False


async def count_packets(session: aiohttp.ClientSession, base: str, show_id: str) -> tuple[Viewer, RtpCounter]:
    """A WHEP viewer counted by ``RtpCounter`` (its receivers never see a packet)."""
    pc = RTCPeerConnection(NO_ICE_SERVERS)
    viewer = Viewer(pc)
    for kind in ("video", "audio"):
        pc.addTransceiver(kind, direction="recvonly")
    viewer.location = await exchange(session, f"{base}/api/shows/{show_id}/whep", pc, {})
    answer = parse_sdp(pc.remoteDescription.sdp)
    video = {c.payloadType for m in answer.media if m.kind == "video" for c in m.rtp.codecs
             if c.name.lower() != "rtx" and c.payloadType is not None}
    counter = RtpCounter(viewer, video)
    count_rtp(pc, counter.packet)
    return viewer, counter


async def _read_numbers(viewer: Viewer, track: Any) -> None:
    while True:
        frame = await track.recv()
        viewer.frames += 1
        if viewer.first_frame_at is None:
            viewer.first_frame_at = time.monotonic()
        viewer.numbers.append(read_number(frame))


async def ask_keyframe(viewer: Viewer) -> None:
    """Send a PLI from this viewer, as a browser does after losing a picture."""
    receiver = next(t.receiver for t in viewer.pc.getTransceivers() if t.kind == "video")
    await request_keyframe(receiver)


async def _publish_forever(args: argparse.Namespace) -> None:
    width, height = (int(v) for v in args.size.split("x"))
    if args.bitrate:
        fix_vp8_bitrate(args.bitrate)
    async with aiohttp.ClientSession() as session:
        publisher = await publish(session, args.base, args.show, args.token, width=width, height=height,
                                  texture=args.texture, audio=not args.no_audio)
        print(json.dumps({"event": "published", "location": publisher.location}), flush=True)
        while True:
            await asyncio.sleep(1)
            print(json.dumps({"event": "stats", "frames": publisher.track.sent,
                              "keyframe_requests": len(publisher.keyframe_requests),
                              "time": time.monotonic()}), flush=True)


async def _watch_forever(args: argparse.Namespace) -> None:
    """Viewers that only count encoded frames, reporting each one's count twice a second."""
    async with aiohttp.ClientSession() as session:
        viewers: list[Viewer] = []
        counters: list[RtpCounter] = []
        for _ in range(args.count):
            for attempt in range(5):
                try:
                    if args.counter == "rtp":
                        viewer, counter = await count_packets(session, args.base, args.show)
                        counters.append(counter)
                    else:
                        viewer = await watch(session, args.base, args.show, decode=False)
                    viewers.append(viewer)
                    break
                except (RuntimeError, aiohttp.ClientError):
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5)
        print(json.dumps({"event": "watching", "viewers": len(viewers)}), flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            print(json.dumps({"event": "stats", "frames": [v.frames for v in viewers],
                              "octets": sum(v.octets for v in viewers), "lost_packets": sum(c.lost for c in counters),
                              "time": time.monotonic()}), flush=True)
        for viewer in viewers:
            await viewer.close(session)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers")
    commands = parser.add_subparsers(dest="command", required=True)
    pub = commands.add_parser("publish")
    pub.add_argument("base")
    pub.add_argument("show")
    pub.add_argument("token")
    pub.add_argument("--size", default="320x240")
    pub.add_argument("--texture", action="store_true")
    pub.add_argument("--no-audio", action="store_true")
    pub.add_argument("--bitrate", type=int, help="a fixed VP8 bitrate (bits/s) instead of following REMB")
    view = commands.add_parser("watch")
    view.add_argument("base")
    view.add_argument("show")
    view.add_argument("--count", type=int, default=1)
    view.add_argument("--counter", choices=("rtp", "reassembled"), default="rtp",
                      help="count frames from RTP headers, or as aiortc's receive path reassembles them")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_publish_forever(args) if args.command == "publish" else _watch_forever(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
