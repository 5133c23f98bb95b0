"""Three aiortc hooks only the bench's peers use: two for its encoding host (the server never encodes), one for
its counting viewers. They reach aiortc 1.16 internals like streams/aiortc_compat.py does, whose import refuses
other versions."""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.codecs import vpx

import streams.aiortc_compat  # noqa: F401  (the version guard)


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Also call ``callback`` when the remote asks this (encoding) sender for a keyframe: bench peers use it
    to see that a viewer's PLI reached the host."""
    original = sender._send_keyframe

    def hooked() -> None:
        callback()
        original()

    sender._send_keyframe = hooked  # type: ignore[method-assign]


def fix_vp8_bitrate(bits_per_second: int) -> None:
    """Make this process's VP8 encoders keep one bitrate whatever the receiver estimates (REMB), so a
    benchmark's load does not drift while it measures."""
    vpx.DEFAULT_BITRATE = vpx.MIN_BITRATE = vpx.MAX_BITRATE = bits_per_second


def count_rtp(pc: RTCPeerConnection, on_packet: Callable[[bytes], None]) -> None:
    """Hand every decrypted RTP packet of the peer's transports to ``on_packet`` instead of aiortc's receivers:
    no header parsing, NACKs, jitter buffer or frame reassembly, so a bench viewer costs little more than the
    SRTP decryption (it shares the machine's cores with the servers it measures). Call after the remote
    description is applied, before the transport connects. RTCP and ICE go on as before."""

    async def handle(data: bytes, arrival_time_ms: int) -> None:
        on_packet(data)

    for transceiver in pc.getTransceivers():
        dtls = transceiver.receiver.transport
        if not callable(getattr(dtls, "_handle_rtp_data", None)):
            raise RuntimeError("aiortc moved RTCDtlsTransport._handle_rtp_data")
        dtls._handle_rtp_data = handle  # type: ignore[method-assign]
