"""Every aiortc (and aioice) internal the media server touches, in one module, for aiortc 1.16 only.

aiortc's public API decodes what a peer sends and encodes what it sends back. A forwarding server must do
neither, so it reaches inside in a few places, all of them here:

- receiving: the receiver hands reassembled encoded frames to a decoder thread through a queue
  (``RTCRtpReceiver.__decoder_queue``); ``tap_receiver`` swaps that queue for one that gives the frames to
  us instead, so the thread only ever sees the end-of-stream marker and never creates a decoder. A keyframe
  is asked of the sender with the receiver's ``_send_rtcp_pli``.
- sending: ``RtpOutlet`` writes already-packetized payloads straight to a sender's SRTP session and UDP
  socket (``RTCDtlsTransport._tx_srtp``, aioice's nominated pair), keeps the sender's RTCP sender-report
  counters true, and answers NACKs from its own history; the sender's own task waits on a track that never
  yields, so it never creates an encoder. A viewer's PLI/FIR arrives through ``RTCRtpSender._send_keyframe``.
- packetizing: aiortc's VP8 and H.264 packetizers (``Vp8Encoder._packetize``, ``H264Encoder._packetize``).
- helpers from aiortc's and aioice's modules that are not part of their public API: SDP parsing, ICE
  candidate lines and priorities, codec matching, the NTP clock.

An aiortc upgrade must break here, loudly: importing this module refuses other versions, ``check_internals``
verifies the class-level hooks at import, every instance-level one is verified when it is first used, and
tests/streams/test_aiortc_compat.py exercises all of them with real peers.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import struct
from collections.abc import Callable
from typing import Any

import aiortc
from aioice.candidate import candidate_priority
from aiortc import MediaStreamTrack, RTCIceCandidate, RTCRtpCodecParameters, RTCRtpReceiver, RTCRtpSender, sdp
from aiortc.clock import current_ntp_time
from aiortc.codecs import CODECS, vpx
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.exceptions import InternalError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State
from aiortc.rtcpeerconnection import find_common_codecs
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.utils import random32

log = logging.getLogger("streams.aiortc_compat")

SUPPORTED_VERSION = "1.16."
if not aiortc.__version__.startswith(SUPPORTED_VERSION):  # pragma: no cover - only after an upgrade
    raise ImportError(
        f"streams.aiortc_compat wraps aiortc {SUPPORTED_VERSION}x internals, found aiortc {aiortc.__version__}: "
        "re-check every hook in this module and its tests before changing the pin in pyproject.toml"
    )


class CompatError(RuntimeError):
    """An aiortc internal this module relies on is missing or changed shape."""


_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
# The sender's RTCP sender-report counters (read by its own RTCP task every second or so).
_SR_NTP = "_RTCRtpSender__ntp_timestamp"
_SR_RTP = "_RTCRtpSender__rtp_timestamp"
_SR_PACKETS = "_RTCRtpSender__packet_count"
_SR_OCTETS = "_RTCRtpSender__octet_count"
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"


def check_internals() -> None:
    """The class-level hooks exist with the expected shape (instance attributes are checked on use)."""
    required = {
        RTCRtpReceiver: ("_send_rtcp_pli", "getSynchronizationSources", "receive"),
        RTCRtpSender: ("_send_keyframe", "_retransmit", "send", "_handle_rtcp_packet"),
        Vp8Encoder: ("_packetize",),
        H264Encoder: ("_packetize", "_split_bitstream"),
    }
    for cls, names in required.items():
        for name in names:
            if not callable(getattr(cls, name, None)):
                raise CompatError(f"aiortc {aiortc.__version__}: {cls.__name__}.{name} is gone")


check_internals()


# -- receiving ---------------------------------------------------------------------------------------------

FrameSink = Callable[[str, bytes, int], None]
"""Called on the event loop with (codec name, encoded frame, RTP timestamp counted from the first frame)."""


class _PassThroughQueue(queue.Queue[Any]):
    """Stands in for a receiver's decoder queue: frames go to the sink on the event loop, only the end marker
    (None) reaches the decoder thread, which then exits without having created a decoder."""

    def __init__(self, sink: FrameSink) -> None:
        super().__init__()
        self._sink = sink
        self._failed = False

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(item, block, timeout)
            return
        codec, frame = item
        try:
            self._sink(codec.name, frame.data, frame.timestamp)
        except Exception:  # never let a forwarding bug kill aiortc's receive loop
            if not self._failed:
                log.exception("frame sink failed; later failures of this receiver are not logged")
                self._failed = True


def tap_receiver(receiver: RTCRtpReceiver, sink: FrameSink) -> None:
    """Give the receiver's encoded frames to ``sink`` instead of its decoder. Call before the peer connects."""
    state = getattr(receiver, "__dict__", {})
    if not isinstance(state.get(_DECODER_QUEUE), queue.Queue) or _DECODER_THREAD not in state:
        raise CompatError(f"aiortc {aiortc.__version__}: RTCRtpReceiver has no decoder queue to tap")
    if state[_DECODER_THREAD] is not None:
        raise CompatError("tap_receiver must be called before the receiver starts")
    state[_DECODER_QUEUE] = _PassThroughQueue(sink)


YIELD_EVERY = 8  # packets


def yield_while_receiving(receiver: RTCRtpReceiver, every: int = YIELD_EVERY) -> None:
    """Let the event loop run every few packets the receiver's transport reads. aiortc's DTLS task does not
    yield while packets are queued, and each of the host's frames is fanned out where it is read: after a
    stall, working off a backlog would hold the loop long enough (seconds, with hundreds of viewers) for ICE
    consent to the host to expire (it allows 0.5 s per check). Call after the answer (bundling is settled)."""
    ice = receiver.transport.transport
    original = getattr(ice, "_recv", None)
    if original is None:
        raise CompatError(f"aiortc {aiortc.__version__}: RTCIceTransport._recv is gone")
    if getattr(original, "yields", False):
        return
    count = 0

    async def recv() -> bytes:
        nonlocal count
        count += 1
        if count >= every:
            count = 0
            await asyncio.sleep(0)
        return await original()

    recv.yields = True  # type: ignore[attr-defined]
    ice._recv = recv


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Ask the remote sender for a keyframe (RTCP PLI) on every source it is sending."""
    for source in receiver.getSynchronizationSources():
        await receiver._send_rtcp_pli(source.source)


# -- sending -----------------------------------------------------------------------------------------------


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
    """SRTP protection for one transport, without pylibsrtp's per-call allocation and checks (a third of the
    cost of a forwarded packet): the same C call on the session's own buffer with a reused length cell.
    Returns None for a packet libsrtp refuses. Falls back to ``session.protect`` if pylibsrtp changed."""
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
_CONNECTED = State.CONNECTED


def _mid_extension(ext_id: int | None, mid: str | None) -> bytes:
    """The RTP header extension block carrying the MID (RFC 8285 one-byte form), or nothing."""
    if not ext_id or not mid or not 1 <= ext_id <= 14 or not 1 <= len(mid.encode()) <= 16:
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
        self._ssrc = sender._ssrc
        self._rtx_ssrc = sender._rtx_ssrc
        self._seq = random_sequence_number()
        self._rtx_seq = random_sequence_number()
        self._ts_origin = random32()
        nacks = any(fb.type == "nack" and not fb.parameter for fb in codec.rtcpFeedback)
        self._history: list[tuple[int, int, int, bytes] | None] | None = [None] * _HISTORY if nacks else None

        dtls = sender.transport
        self._dtls = dtls
        srtp = getattr(dtls, "_tx_srtp", None)
        connection = getattr(dtls.transport, "_connection", None)
        pair = getattr(connection, "_nominated", {}).get(1)
        udp = getattr(getattr(pair, "protocol", None), "transport", None)
        self._stats = vars(sender)
        if (srtp is None or pair is None or udp is None
                or not all(k in self._stats for k in (_SR_NTP, _SR_RTP, _SR_PACKETS, _SR_OCTETS))):
            raise CompatError(f"aiortc {aiortc.__version__}: cannot reach the sender's SRTP session and socket")
        self._protect = srtp_protector(srtp)
        self._udp: Any = udp
        self._addr = pair.remote_addr
        self._buffered = getattr(udp, "get_write_buffer_size", lambda: 0)
        # Retransmissions are ours (the sender's history is empty); setting these on the instance
        # shadows the methods the sender's RTCP handler calls.
        sender._retransmit = self._retransmit  # type: ignore[method-assign]

    @property
    def closed(self) -> bool:
        return bool(self._udp.is_closing()) or self._dtls._state is not _CONNECTED

    def backlog(self) -> int:
        """Bytes the socket could not take yet (asyncio buffers them): a viewer that cannot keep up."""
        return int(self._buffered())

    def send(self, payloads: list[bytes], timestamp: int, size: int, ntp: int) -> bool:
        """Send one frame's payloads; False if the connection is gone (the caller detaches the outlet)."""
        if self._dtls._state is not _CONNECTED or self._udp.is_closing():
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
        stats[_SR_NTP] = ntp
        stats[_SR_RTP] = ts
        stats[_SR_PACKETS] += last + 1
        stats[_SR_OCTETS] += size
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

    original_send = sender.send

    async def send(parameters: RTCRtpSendParameters) -> None:
        await original_send(parameters)
        on_ready(RtpOutlet(sender, parameters))

    sender.send = send  # type: ignore[method-assign]
    sender._send_keyframe = on_keyframe_request  # type: ignore[method-assign]


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Also call ``callback`` when the remote asks this (encoding) sender for a keyframe: test and bench peers
    use it to see that a viewer's PLI reached the host."""
    original = sender._send_keyframe

    def hooked() -> None:
        callback()
        original()

    sender._send_keyframe = hooked  # type: ignore[method-assign]


def fix_vp8_bitrate(bits_per_second: int) -> None:
    """Make this process's VP8 encoders keep one bitrate whatever the receiver estimates (REMB), so a
    benchmark's load does not drift while it measures. Never called by the server, which does not encode."""
    vpx.DEFAULT_BITRATE = vpx.MIN_BITRATE = vpx.MAX_BITRATE = bits_per_second


# -- negotiating -------------------------------------------------------------------------------------------

NEGOTIATION_ERRORS = (ValueError, OperationError, InvalidStateError, InternalError)
"""What aiortc raises for a description it cannot apply or answer."""
ntp_now = current_ntp_time  # the RTCP sender-report clock


def parse_sdp(text: str) -> sdp.SessionDescription:
    return sdp.SessionDescription.parse(text)


def parse_candidate(line: str) -> RTCIceCandidate:
    """An ``a=candidate:`` value; ValueError if it is not one."""
    try:
        return sdp.candidate_from_sdp(line)
    except (AssertionError, IndexError) as exc:
        raise ValueError(f"not an ICE candidate: {line[:200]}") from exc


def srflx_priority(component: int) -> int:
    return int(candidate_priority(component, "srflx"))


# -- codecs --------------------------------------------------------------------------------------------------


def common_video_codecs(remote: list[RTCRtpCodecParameters]) -> list[tuple[str, dict[str, Any]]]:
    """The video codecs of a remote description that aiortc can use, as (mime type, fmtp) of aiortc's own
    codecs, in the remote's order, matched the way aiortc matches them (H.264 by profile and packetization)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for codec in find_common_codecs(CODECS["video"], remote):
        entry = (codec.mimeType, dict(codec.parameters))
        if codec.name.lower() != "rtx" and entry not in found:
            found.append(entry)
    return found


# -- packetizing -------------------------------------------------------------------------------------------

Packetizer = Callable[[bytes], list[bytes]]


def packetizer(codec_name: str) -> Packetizer:
    """RTP payloads for one encoded frame, made once per frame and shared by every viewer."""
    name = codec_name.lower()
    if name == "vp8":
        picture_id = random32() & 0x7FFF

        def vp8(frame: bytes) -> list[bytes]:
            nonlocal picture_id
            payloads = Vp8Encoder._packetize(frame, picture_id)
            picture_id = (picture_id + 1) & 0x7FFF
            return payloads

        return vp8
    if name == "h264":
        return lambda frame: H264Encoder._packetize(H264Encoder._split_bitstream(frame))
    return lambda frame: [frame]  # audio (Opus): one frame, one packet


def h264_units(frame: bytes) -> list[bytes]:
    """The NAL units of an Annex B H.264 frame (as aiortc's receiver reassembles them)."""
    return list(H264Encoder._split_bitstream(frame))
