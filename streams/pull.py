"""An edge's pull: a WHEP session this node opens at the show's origin, whose encoded frames go straight into
this node's fan-out (never a decoder), so the origin pays one viewer per edge. The viewers' keyframe requests
go up the chain through it (the fan-out throttles them)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from http import HTTPStatus

import aiohttp
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

from streams.aiortc_compat import (
    NEGOTIATION_ERRORS,
    common_video_codecs,
    parse_sdp,
    request_keyframe,
    tap_receiver,
    yield_while_receiving,
)
from streams.codecs import VideoCodec
from streams.errors import MediaError
from streams.forward import Relay
from streams.ice import rtc_configuration
from streams.settings import MediaSettings

log = logging.getLogger("streams.pull")
PULL_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True)
class Upstream:
    """Where to pull a show from: the origin's WHEP URL and the headers that admit this node."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)


class OriginUnavailable(MediaError):
    status, code = 503, "origin_unavailable"


def answer_video_codec(answer: str) -> VideoCodec | None:
    for media in parse_sdp(answer).media:
        if media.kind == "video":
            codecs = common_video_codecs(media.rtp.codecs)
            return VideoCodec.of(*codecs[0]) if codecs else None
    return None


class Pull:
    """One show's WHEP session at its origin, feeding ``relay``."""

    def __init__(self, show_id: str, relay: Relay, settings: MediaSettings) -> None:
        self.show_id = show_id
        self.relay = relay
        self.pc = RTCPeerConnection(rtc_configuration(settings))
        self.location: str | None = None
        self.video_codec: VideoCodec | None = None
        self.closed = False
        self._video: RTCRtpReceiver | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def open(self, upstream: Upstream) -> None:
        """Offer to receive audio and video, POST the offer to the origin, apply its answer."""
        for kind in ("video", "audio"):
            transceiver = self.pc.addTransceiver(kind, direction="recvonly")
            tap_receiver(transceiver.receiver, self.relay.sink)
            if kind == "video":
                self._video = transceiver.receiver
        await self.pc.setLocalDescription(await self.pc.createOffer())
        headers = {**upstream.headers, "Content-Type": "application/sdp"}
        try:
            async with aiohttp.ClientSession(timeout=PULL_TIMEOUT) as http, \
                    http.post(upstream.url, data=self.pc.localDescription.sdp, headers=headers) as response:
                answer = await response.text()
                if response.status != HTTPStatus.CREATED:
                    raise OriginUnavailable(f"the show's origin answered {response.status}")
                self.location = str(response.url.join(aiohttp.client.URL(response.headers["Location"])))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OriginUnavailable(f"the show's origin cannot be reached: {exc}"[:300]) from exc
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except NEGOTIATION_ERRORS as exc:
            raise OriginUnavailable(f"the origin's answer cannot be applied: {exc}"[:300]) from exc
        self.video_codec = answer_video_codec(answer)
        for transceiver in self.pc.getTransceivers():
            yield_while_receiving(transceiver.receiver)
        self.relay.restart(self._ask_keyframe if self._video is not None else None)

    def _ask_keyframe(self) -> None:
        if self._video is not None and not self.closed:
            task = asyncio.ensure_future(request_keyframe(self._video))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Hang up at the origin (best effort: it may be the one that died) and close the peer."""
        if self.closed:
            return
        self.closed = True
        self.relay.restart(None)
        if self.location is not None:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http, \
                        http.delete(self.location):
                    pass
        await self.pc.close()
