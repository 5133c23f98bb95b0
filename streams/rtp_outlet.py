"""A viewer's RTP outlet: writes already-packetized payloads straight to one sender's SRTP session and UDP
socket, keeps the sender's RTCP sender-report counters true, and answers NACKs from its own history (RTX when
negotiated). The sender's own task waits on a ``ParkedTrack`` that never yields, so no encoder is ever made.

The aiortc internals it reaches (socket, SRTP session, counters, hooks) come from streams/aiortc_compat.py.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCRtpSender
from aiortc.mediastreams import MediaStreamError

from streams.aiortc_compat import (
    MID_URI,
    SR_NTP,
    SR_OCTETS,
    SR_PACKETS,
    SR_RTP,
    CompatError,
    RTCRtpSendParameters,
    answer_nacks_with,
    hook_sender,
    random32,
    random_sequence_number,
    sender_wire,
)

log = logging.getLogger("streams.rtp_outlet")


class ParkedTrack(MediaStreamTrack):
    """A track whose ``recv`` never returns: the sender's RTP task waits on it forever (at no cost) while
    ``RtpOutlet`` does the sending, so the sender never creates an encoder."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def recv(self) -> Any:
        await self._ended
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if not self._ended.done():
            self._ended.set_result(None)


def srtp_protector(session: Any) -> Callable[[bytes], bytes | None]:
    """SRTP protection for one transport, without pylibsrtp's per-call allocation and checks (a large share
    of the cost of a forwarded packet): the same C call on the session's own buffer with a reused length
    cell. Returns None for a packet libsrtp refuses. Falls back to ``session.protect`` if pylibsrtp changed."""
    try:
        from pylibsrtp._binding import ffi, lib

        context, cdata, buffer, protect = session._srtp[0], session._cdata, session._buffer, lib.srtp_protect
    except (ImportError, AttributeError):
        log.warning("pylibsrtp internals changed: forwarding uses the slower Session.protect")
        return session.protect
    length = ffi.new("int *")
    room = len(buffer) - 144  # libsrtp's maximum trailer

    def fast(packet: bytes) -> bytes | None:
        size = len(packet)
        if size > room:
            return None
        buffer[0:size] = packet
        length[0] = size
        if protect(context, cdata, length):
            return None
        return buffer[0:length[0]]

    fast.fast = True  # type: ignore[attr-defined]
    return fast


_HEADER = struct.Struct("!BBHII")
_HISTORY = 512  # packets kept per video outlet for retransmission (4 s at 1 Mbit/s)


ONE_BYTE_MAX_ID = 14  # RFC 8285: ids 1-14 in the one-byte header form (15 is reserved)
ONE_BYTE_MAX_LENGTH = 16  # and at most 16 bytes of value


def _mid_extension(ext_id: int | None, mid: str | None) -> bytes:
    """The RTP header extension block carrying the MID (RFC 8285 one-byte form), or nothing."""
    if not ext_id or not mid or not 1 <= ext_id <= ONE_BYTE_MAX_ID or not 1 <= len(mid.encode()) <= ONE_BYTE_MAX_LENGTH:
        return b""
    value = mid.encode()
    element = bytes([(ext_id << 4) | (len(value) - 1)]) + value
    element += b"\x00" * (-len(element) % 4)
    return struct.pack("!HH", 0xBEDE, len(element) // 4) + element


class RtpOutlet:
    """Sends packetized frames through one ``RTCRtpSender``'s transport: header, SRTP, UDP, nothing else.

    ``send`` is synchronous and allocates one packet per payload: the fan-out calls it for every viewer in
    one loop per frame, with no task, queue or await per viewer. Payload bytes are shared by all viewers.
    """

    waiting_for_keyframe: bool

    def __init__(self, sender: RTCRtpSender, parameters: RTCRtpSendParameters) -> None:
        codec = parameters.codecs[0]
        self.kind = sender.kind
        self.codec_name = codec.name
        self.waiting_for_keyframe = self.kind == "video"
        if codec.payloadType is None:
            raise CompatError("the negotiated codec has no payload type")
        self._pt: int = codec.payloadType
        self._rtx_pt = next(
            (c.payloadType for c in parameters.codecs[1:]
             if c.name.lower() == "rtx" and c.parameters.get("apt") == codec.payloadType),
            None,
        )
        mid_id = next((e.id for e in parameters.headerExtensions if e.uri == MID_URI), None)
        self._ext = _mid_extension(mid_id, parameters.muxId)
        self._first_byte = 0x90 if self._ext else 0x80
        self._seq = random_sequence_number()
        self._rtx_seq = random_sequence_number()
        self._ts_origin = random32()
        nacks = any(fb.type == "nack" and not fb.parameter for fb in codec.rtcpFeedback)
        self._history: list[tuple[int, int, int, bytes] | None] | None = [None] * _HISTORY if nacks else None

        wire = sender_wire(sender)
        self._ssrc = wire.ssrc
        self._rtx_ssrc = wire.rtx_ssrc
        self._stats = wire.counters
        self._connected = wire.is_connected
        self._protect = srtp_protector(wire.srtp)
        self._udp: Any = wire.udp
        self._addr = wire.addr
        self._buffered = getattr(wire.udp, "get_write_buffer_size", lambda: 0)
        answer_nacks_with(sender, self._retransmit)

    @property
    def closed(self) -> bool:
        return bool(self._udp.is_closing()) or not self._connected()

    def backlog(self) -> int:
        """Bytes the socket could not take yet (asyncio buffers them): a viewer that cannot keep up."""
        return int(self._buffered())

    def send(self, payloads: list[bytes], timestamp: int, size: int, ntp: int) -> bool:
        """Send one frame's payloads; False if the connection is gone (the caller detaches the outlet)."""
        if not self._connected() or self._udp.is_closing():
            return False
        ts = (timestamp + self._ts_origin) & 0xFFFFFFFF
        seq, first, pt, ssrc, ext = self._seq, self._first_byte, self._pt, self._ssrc, self._ext
        protect, sendto, addr, history, pack = self._protect, self._udp.sendto, self._addr, self._history, \
            _HEADER.pack
        last = len(payloads) - 1
        for i, payload in enumerate(payloads):
            marker_pt = pt | 0x80 if i == last else pt
            packet = protect(b"".join((pack(first, marker_pt, seq, ts, ssrc), ext, payload)))
            if packet is not None:
                sendto(packet, addr)
            if history is not None:
                history[seq % _HISTORY] = (seq, ts, marker_pt, payload)
            seq = (seq + 1) & 0xFFFF
        self._seq = seq
        stats = self._stats
        stats[SR_NTP] = ntp
        stats[SR_RTP] = ts
        stats[SR_PACKETS] += last + 1
        stats[SR_OCTETS] += size
        return True

    async def _retransmit(self, sequence_number: int) -> None:
        """Answer a NACK from our history, wrapped in RTX (RFC 4588) when negotiated."""
        entry = self._history[sequence_number % _HISTORY] if self._history is not None else None
        if entry is None or entry[0] != sequence_number or self.closed:
            return
        seq, ts, marker_pt, payload = entry
        if self._rtx_pt is None:
            packet = b"".join((_HEADER.pack(self._first_byte, marker_pt, seq, ts, self._ssrc), self._ext, payload))
        else:
            rtx_pt = (marker_pt & 0x80) | self._rtx_pt
            header = _HEADER.pack(self._first_byte, rtx_pt, self._rtx_seq, ts, self._rtx_ssrc)
            packet = b"".join((header, self._ext, struct.pack("!H", seq), payload))
            self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
        protected = self._protect(packet)
        if protected is not None:
            self._udp.sendto(protected, self._addr)


def tap_sender(sender: RTCRtpSender, on_ready: Callable[[RtpOutlet], None],
               on_keyframe_request: Callable[[], None]) -> None:
    """Call ``on_ready`` with an outlet once the sender's transport is up, and ``on_keyframe_request`` when
    the remote asks for a keyframe (PLI or FIR). Call before the peer connects."""

    hook_sender(sender, lambda parameters: on_ready(RtpOutlet(sender, parameters)), on_keyframe_request)
