"""Every aiortc (and aioice) internal the media server touches, in one module, for aiortc 1.16 only.

aiortc's public API decodes what a peer sends and encodes what it sends back. A forwarding server must do
neither, so it reaches inside in a few places, all of them here, each as a thin hook or accessor (the
logic that uses them lives elsewhere: the sending side in streams/rtp_outlet.py):

- receiving: the receiver hands reassembled encoded frames to a decoder thread through a queue
  (``RTCRtpReceiver.__decoder_queue``); ``tap_receiver`` swaps that queue for one that gives the frames to
  us instead, so the thread only ever sees the end-of-stream marker and never creates a decoder. A keyframe
  is asked of the sender with the receiver's ``_send_rtcp_pli``.
- sending: ``sender_wire`` reaches a sender's SRTP session and UDP socket (``RTCDtlsTransport._tx_srtp``,
  aioice's nominated pair) and its RTCP sender-report counters; ``hook_sender`` learns when the sender
  starts and when the remote asks for a keyframe (``RTCRtpSender._send_keyframe``); ``answer_nacks_with``
  takes over its retransmissions (``RTCRtpSender._retransmit``).
- packetizing: aiortc's VP8 and H.264 packetizers (``Vp8Encoder._packetize``, ``H264Encoder._packetize``).
- helpers from aiortc's and aioice's modules that are not part of their public API: SDP parsing, ICE
  candidate lines and priorities, codec matching, the NTP clock, random RTP counters.

An aiortc upgrade must break here, loudly: importing this module refuses other versions, ``check_internals``
verifies the class-level hooks at import, every instance-level one is verified when it is first used, and
tests/streams/test_aiortc_compat.py exercises all of them with real peers.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiortc
from aioice.candidate import candidate_priority
from aiortc import RTCIceCandidate, RTCRtpCodecParameters, RTCRtpReceiver, RTCRtpSender, sdp
from aiortc.clock import current_ntp_time
from aiortc.codecs import CODECS
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.exceptions import InternalError, InvalidStateError, OperationError
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

__all__ = ["RTCRtpSendParameters", "random32", "random_sequence_number"]  # re-exported for the outlet


class CompatError(RuntimeError):
    """An aiortc internal this module relies on is missing or changed shape."""


_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
# The sender's RTCP sender-report counters (read by its own RTCP task every second or so).
SR_NTP = "_RTCRtpSender__ntp_timestamp"
SR_RTP = "_RTCRtpSender__rtp_timestamp"
SR_PACKETS = "_RTCRtpSender__packet_count"
SR_OCTETS = "_RTCRtpSender__octet_count"
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


@dataclass(frozen=True, slots=True)
class SenderWire:
    """What it takes to write a sender's packets without it: its SRTP session, socket and peer address, its
    SSRCs, and its attributes (``counters``), where its RTCP task reads the sender-report counters."""

    srtp: Any  # pylibsrtp.Session
    udp: Any  # asyncio.DatagramTransport of the nominated ICE pair
    addr: Any
    ssrc: int
    rtx_ssrc: int
    counters: dict[str, Any]
    is_connected: Callable[[], bool]


def sender_wire(sender: RTCRtpSender) -> SenderWire:
    """The started sender's wire; CompatError if aiortc moved any of it."""
    dtls = sender.transport
    srtp = getattr(dtls, "_tx_srtp", None)
    connection = getattr(dtls.transport, "_connection", None)
    pair = getattr(connection, "_nominated", {}).get(1)
    udp = getattr(getattr(pair, "protocol", None), "transport", None)
    counters = vars(sender)
    if (srtp is None or pair is None or udp is None or not hasattr(dtls, "_state")
            or not all(k in counters for k in (SR_NTP, SR_RTP, SR_PACKETS, SR_OCTETS))):
        raise CompatError(f"aiortc {aiortc.__version__}: cannot reach the sender's SRTP session and socket")
    connected = State.CONNECTED
    return SenderWire(srtp, udp, pair.remote_addr, sender._ssrc, sender._rtx_ssrc, counters,
                      lambda: dtls._state is connected)


def hook_sender(sender: RTCRtpSender, on_sending: Callable[[RTCRtpSendParameters], None],
                on_keyframe_request: Callable[[], None]) -> None:
    """Call ``on_sending`` with the negotiated parameters once the sender's transport is up, and
    ``on_keyframe_request`` (instead of an encoder) when the remote asks for a keyframe (PLI or FIR).
    Call before the peer connects."""
    original_send = sender.send

    async def send(parameters: RTCRtpSendParameters) -> None:
        await original_send(parameters)
        on_sending(parameters)

    sender.send = send  # type: ignore[method-assign]
    sender._send_keyframe = on_keyframe_request  # type: ignore[method-assign]


def answer_nacks_with(sender: RTCRtpSender, retransmit: Callable[[int], Coroutine[Any, Any, None]]) -> None:
    """The sender's RTCP handler calls ``retransmit(sequence_number)`` for each NACKed packet (its own history
    is empty: it never sent): set on the instance, it shadows the method."""
    sender._retransmit = retransmit  # type: ignore[method-assign, assignment]


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
