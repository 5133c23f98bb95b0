"""Two aiortc hooks only the bench's encoding peers use (the server never encodes). They reach aiortc 1.16
internals like streams/aiortc_compat.py does, whose import refuses other versions."""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCRtpSender
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
