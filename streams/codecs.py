"""What the server needs to know about the codecs it forwards without decoding: which one a show uses, whether
a frame is a keyframe, and a picture's size (for the recording's header), read from the bitstream."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCRtpCodecCapability, RTCRtpSender

from streams.aiortc_compat import h264_units

VIDEO_CLOCK = 90000
AUDIO_CLOCK = 48000

_NAL_IDR_SLICE = 5  # H.264 NAL unit types (ITU-T H.264 table 7-1)
_NAL_SPS = 7
_VP8_KEYFRAME_HEADER = 10  # frame tag (3), start code (3), width and height (2 each)
_CHROMA_444 = 3  # chroma_format_idc of 4:4:4, which adds a flag and four scaling lists
_SCALING_LISTS_4X4 = 6  # the first six scaling lists are 4x4 (16 entries), the rest 8x8 (64)


@dataclass(frozen=True)
class VideoCodec:
    """A negotiated video codec as aiortc names it: ``video/VP8`` or ``video/H264`` with its fmtp."""

    mime_type: str
    parameters: dict[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, mime_type: str, parameters: dict[str, object]) -> VideoCodec:
        """fmtp values compared as text: aiortc parses some of them as numbers."""
        return cls(mime_type, {k: str(v) for k, v in parameters.items()})

    @property
    def name(self) -> str:
        return self.mime_type.split("/", 1)[1].upper()

    def capability(self) -> RTCRtpCodecCapability:
        """aiortc's own capability object for this codec (setCodecPreferences accepts only those)."""
        wanted = VideoCodec.of(self.mime_type.lower(), dict(self.parameters))
        for cap in RTCRtpSender.getCapabilities("video").codecs:
            if VideoCodec.of(cap.mimeType.lower(), dict(cap.parameters)) == wanted:
                return cap
        raise ValueError(f"{self.mime_type} {self.parameters} is not a codec aiortc offers")


def video_preferences(codecs: list[VideoCodec]) -> list[RTCRtpCodecCapability]:
    """These codecs, in this order, with retransmissions."""
    rtx = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.name.lower() == "rtx"]
    return [codec.capability() for codec in codecs] + rtx


def opus_preferences() -> list[RTCRtpCodecCapability]:
    return [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType.lower() == "audio/opus"]


def is_keyframe(codec_name: str, frame: bytes) -> bool:
    """VP8: the frame tag's P bit is 0 (RFC 6386 9.1). H.264: the frame holds an IDR slice (NAL type 5)."""
    if not frame:
        return False
    if codec_name == "VP8":
        return not frame[0] & 0x01
    if codec_name == "H264":
        return any(unit and unit[0] & 0x1F == _NAL_IDR_SLICE for unit in h264_units(frame))
    return True  # audio frames stand alone


def vp8_size(frame: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (start code 9d 01 2a, then 14-bit sizes)."""
    if len(frame) < _VP8_KEYFRAME_HEADER or frame[0] & 0x01 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    return int.from_bytes(frame[6:8], "little") & 0x3FFF, int.from_bytes(frame[8:10], "little") & 0x3FFF


class _Bits:
    """Exp-Golomb reader over an H.264 RBSP (emulation-prevention bytes removed)."""

    def __init__(self, data: bytes) -> None:
        self.data = data.replace(b"\x00\x00\x03", b"\x00\x00")
        self.pos = 0

    def bit(self) -> int:
        byte = self.data[self.pos >> 3]
        value = (byte >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def bits(self, count: int) -> int:
        value = 0
        for _ in range(count):
            value = (value << 1) | self.bit()
        return value

    def ue(self) -> int:
        zeros = 0
        while not self.bit():
            zeros += 1
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last = following = 8
    for _ in range(size):
        if following:
            following = (last + bits.se() + 256) % 256
        last = following or last


def h264_size(frame: bytes) -> tuple[int, int] | None:
    """Width and height from the sequence parameter set (NAL type 7) of an H.264 keyframe."""
    sps = next((u for u in h264_units(frame) if u and u[0] & 0x1F == _NAL_SPS), None)
    if sps is None:
        return None
    try:
        bits = _Bits(sps[1:])
        profile = bits.bits(8)
        bits.bits(16)  # constraint flags, level
        bits.ue()  # seq_parameter_set_id
        chroma_format = 1
        if profile in _HIGH_PROFILES:
            chroma_format = bits.ue()
            if chroma_format == _CHROMA_444:
                bits.bit()
            bits.ue()
            bits.ue()
            bits.bit()
            if bits.bit():  # seq_scaling_matrix_present
                for i in range(8 if chroma_format != _CHROMA_444 else 12):
                    if bits.bit():
                        _skip_scaling_list(bits, 16 if i < _SCALING_LISTS_4X4 else 64)
        bits.ue()  # log2_max_frame_num
        poc_type = bits.ue()
        if poc_type == 0:
            bits.ue()
        elif poc_type == 1:
            bits.bit()
            bits.se()
            bits.se()
            for _ in range(bits.ue()):
                bits.se()
        bits.ue()  # max_num_ref_frames
        bits.bit()
        width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
        frame_mbs_only = bits.bit()
        if not frame_mbs_only:
            bits.bit()
        bits.bit()  # direct_8x8_inference
        width, height = width_mbs * 16, height_units * 16 * (2 - frame_mbs_only)
        if bits.bit():  # frame_cropping
            left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
            crop_x = 2 if chroma_format in (1, 2) else 1
            crop_y = (2 if chroma_format == 1 else 1) * (2 - frame_mbs_only)
            width -= (left + right) * crop_x
            height -= (top + bottom) * crop_y
        return width, height
    except IndexError:
        return None


def picture_size(codec_name: str, keyframe: bytes) -> tuple[int, int] | None:
    return vp8_size(keyframe) if codec_name == "VP8" else h264_size(keyframe)
