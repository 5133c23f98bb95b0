"""The aiortc internals the server relies on, exercised for real, so an aiortc (or pylibsrtp) upgrade that
moves them fails here, by name, instead of in production."""

from __future__ import annotations

import asyncio
import fractions
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import aiortc
import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from pylibsrtp import Policy, Session

from streams import aiortc_compat
from streams.aiortc_compat import (
    CompatError,
    check_internals,
    packetizer,
    request_keyframe,
    tap_receiver,
    yield_while_receiving,
)
from streams.codecs import h264_size, is_keyframe, vp8_size
from streams.rtp_outlet import ParkedTrack, RtpOutlet, srtp_protector, tap_sender
from tests.streams.conftest import eventually

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_versions_are_the_wrapped_ones() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    pin = re.search(r'"aiortc==([0-9.]+)\*"', pyproject)
    assert pin is not None and pin.group(1) == aiortc_compat.SUPPORTED_VERSION
    assert aiortc.__version__.startswith(aiortc_compat.SUPPORTED_VERSION)
    for package in ("aioice", "pylibsrtp"):
        pinned = re.search(rf'"{package}==([0-9.]+)\*"', pyproject)
        assert pinned is not None and version(package).startswith(pinned.group(1)), package


def test_a_missing_hook_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    check_internals()
    monkeypatch.delattr(RTCRtpSender, "_send_keyframe")
    with pytest.raises(CompatError, match=r"RTCRtpSender\._send_keyframe"):
        check_internals()


def encode(codec: str, count: int, width: int = 320, height: int = 240) -> list[bytes]:
    """Encoded frames made in the test (the server never encodes; a test may)."""
    context = cast(av.VideoCodecContext, av.CodecContext.create(codec, "w"))
    context.width, context.height, context.pix_fmt = width, height, "yuv420p"
    context.time_base = fractions.Fraction(1, 30)
    if codec == "libx264":
        context.options = {"profile": "baseline", "tune": "zerolatency"}
    frames = []
    for i in range(count):
        picture = av.VideoFrame(width, height, "yuv420p")
        for plane in picture.planes:
            plane.update(os.urandom(plane.buffer_size) if i % 2 else bytes(plane.buffer_size))
        picture.pts = i
        frames += [bytes(packet) for packet in context.encode(picture)]
    frames += [bytes(packet) for packet in context.encode(None)]
    return frames


def test_keyframes_and_picture_sizes_are_read_from_the_bitstream() -> None:
    vp8 = encode("libvpx", 3)
    assert [is_keyframe("VP8", f) for f in vp8] == [True, False, False]
    assert vp8_size(vp8[0]) == (320, 240) and vp8_size(vp8[1]) is None
    h264 = encode("libx264", 3, 330, 250)  # not a multiple of 16: the SPS crops
    assert is_keyframe("H264", h264[0]) and not is_keyframe("H264", h264[1])
    assert h264_size(h264[0]) == (330, 250)


def test_the_fast_srtp_path_is_active_and_identical() -> None:
    key = os.urandom(30)
    fast = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    plain = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    protect = srtp_protector(fast)
    assert getattr(protect, "fast", False), "pylibsrtp changed: forwarding fell back to the slow path"
    for seq in range(3):
        packet = bytes([0x80, 96]) + seq.to_bytes(2, "big") + bytes(8) + os.urandom(1000)
        assert protect(packet) == plain.protect(packet)
    assert protect(bytes(2000)) is None, "a packet too long for libsrtp's buffer is refused, not raised"


@dataclass
class Pair:
    """A server-style sender (parked track, outlet) connected to a receiver whose frames are tapped."""

    sending: RTCPeerConnection
    receiving: RTCPeerConnection
    sender: RTCRtpSender
    receiver: RTCRtpReceiver
    outlets: list[RtpOutlet] = field(default_factory=list)
    keyframe_requests: int = 0
    received: list[tuple[str, bytes, int]] = field(default_factory=list)


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    config = RTCConfiguration(iceServers=[])
    sending, receiving = RTCPeerConnection(config), RTCPeerConnection(config)
    receiver = receiving.addTransceiver("video", direction="recvonly").receiver
    sender = sending.addTransceiver(ParkedTrack("video"), direction="sendonly").sender
    result = Pair(sending, receiving, sender, receiver)
    tap_receiver(receiver, lambda codec, data, ts: result.received.append((codec, data, ts)))

    def asked() -> None:
        result.keyframe_requests += 1

    tap_sender(sender, result.outlets.append, asked)
    await receiving.setLocalDescription(await receiving.createOffer())
    await sending.setRemoteDescription(receiving.localDescription)
    await sending.setLocalDescription(await sending.createAnswer())
    await receiving.setRemoteDescription(sending.localDescription)
    await eventually(lambda: result.outlets, 10, "the sender's outlet")
    yield result
    await sending.close()
    await receiving.close()


async def test_tapping_a_started_receiver_or_something_else_is_refused(pair: Pair) -> None:
    with pytest.raises(CompatError):
        tap_receiver(pair.receiver, lambda *a: None)  # already receiving
    with pytest.raises(CompatError):
        tap_receiver(object(), lambda *a: None)  # type: ignore[arg-type]


async def test_working_off_a_backlog_lets_the_event_loop_run(pair: Pair) -> None:
    yield_while_receiving(pair.receiver, every=2)
    ice = pair.receiver.transport.transport
    assert getattr(ice._recv, "yields", False), "the DTLS task reads through the wrapper"

    class Backlog:
        """A transport whose queue is never empty: reading never suspends, as after a stall."""

        async def _recv(self) -> bytes:
            return b"packet"

    backlog = Backlog()
    yield_while_receiving(SimpleNamespace(transport=SimpleNamespace(transport=backlog)), every=2)  # type: ignore[arg-type]
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.ensure_future(other_work())
    await asyncio.sleep(0)
    before = turns
    for _ in range(20):
        await backlog._recv()
    task.cancel()
    assert turns - before >= 9, "other work ran while twenty queued packets were read"
    frames = encode("libvpx", 4)
    await send_all(pair.outlets[0], frames)
    await eventually(lambda: len(pair.received) == 3, 5, "frames through the wrapped transport")


async def send_all(outlet: RtpOutlet, frames: list[bytes], first: int = 0) -> None:
    pack = packetizer("VP8")
    for i, frame in enumerate(frames, start=first):
        outlet.send(pack(frame), i * 3000, len(frame), 0)


async def test_an_outlet_delivers_frames_intact_and_keeps_the_sender_report_true(pair: Pair) -> None:
    outlet = pair.outlets[0]
    assert outlet.kind == "video" and outlet.codec_name == "VP8"
    frames = encode("libvpx", 8)
    await send_all(outlet, frames)
    # The receiver hands a frame on when the next one begins: all but the last arrive.
    await eventually(lambda: len(pair.received) == len(frames) - 1, 5, "the frames")
    assert [data for _, data, _ in pair.received] == frames[:-1]
    assert [ts for _, _, ts in pair.received] == [i * 3000 for i in range(len(frames) - 1)]
    stats = await pair.sender.getStats()
    outbound = next(s for s in stats.values() if s.type == "outbound-rtp")
    assert outbound.packetsSent == sum(len(packetizer("VP8")(f)) for f in frames)
    assert pair.sender.track.readyState == "live", "the parked track never yielded a frame"


async def test_a_pli_reaches_the_hook_and_a_lost_packet_is_retransmitted(pair: Pair) -> None:
    await request_keyframe(pair.receiver)  # no source yet: nothing to ask
    outlet = pair.outlets[0]
    frames = encode("libvpx", 6)
    real_udp, dropped = outlet._udp, cast(list[bytes], [])

    class Lossy:
        """The network loses the first packet of the fourth frame."""

        def sendto(self, data: bytes, addr: Any) -> None:
            if len(dropped) == 0 and calls.count == lost_at:
                dropped.append(data)
            else:
                real_udp.sendto(data, addr)
            calls.count += 1

        def __getattr__(self, name: str) -> Any:
            return getattr(real_udp, name)

    class calls:
        count = 0

    pack = packetizer("VP8")
    lost_at = sum(len(pack(f)) for f in frames[:3])
    outlet._udp = Lossy()
    await send_all(outlet, frames)
    await asyncio.sleep(0.3)  # the receiver asks again (NACK) for what it missed
    await send_all(outlet, frames, first=len(frames))  # the stream goes on (it flushes the jitter buffer)
    await eventually(lambda: len(pair.received) >= len(frames), 5, "every frame, after a retransmission")
    assert dropped, "a packet was lost on the way"
    assert [data for _, data, _ in pair.received][:len(frames)] == frames
    await request_keyframe(pair.receiver)
    await eventually(lambda: pair.keyframe_requests == 1, 5, "the PLI at the sender's hook")
