"""The fan-out with real aiortc peers: a publisher over WHIP, viewers over WHEP. The publisher draws each
frame's number on the picture; viewers decode and read the numbers back, so 'received the publisher's frames'
means exactly those frames, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from bench import peers
from streams import forward
from streams.registry import MediaRegistry
from tests.streams.conftest import LiveShow, eventually


class Calls:
    """Counts calls to a function while passing them through (a spy, not a stand-in)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.count = 0
        original = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


async def test_three_viewers_get_the_publishers_frames_and_nothing_is_encoded(
        live_show: LiveShow, base_url: str, http: aiohttp.ClientSession, publisher_process: Any,
        closing: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import aiortc.rtcrtpsender

    encoders = Calls(monkeypatch, aiortc.rtcrtpsender, "get_encoder")  # every sender's encoder comes from here
    async with publisher_process(live_show) as publisher:
        viewers = [await peers.watch(http, base_url, live_show.id) for _ in range(3)]
        closing.extend(viewers)
        await eventually(lambda: all(len(v.numbers) >= 45 for v in viewers), 20, "45 decoded frames per viewer")
        sent = publisher.frames
    for viewer in viewers:
        numbers = viewer.numbers
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), "frames in order, no repeats"
        assert numbers[-1] - numbers[0] + 1 - len(numbers) <= 2, f"at most 2 frames missing: {numbers}"
        assert 0 <= numbers[0] and numbers[-1] <= sent + 30
    assert encoders.count == 0, "the server created an encoder"


async def test_the_server_never_decodes(live_show: LiveShow, base_url: str, http: aiohttp.ClientSession,
                                        publisher_process: Any, closing: list[Any],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import aiortc.rtcrtpreceiver

    decoders = Calls(monkeypatch, aiortc.rtcrtpreceiver, "get_decoder")  # every receiver's decoder
    async with publisher_process(live_show):
        viewers = [await peers.watch(http, base_url, live_show.id, decode=False) for _ in range(2)]
        closing.extend(viewers)
        await eventually(lambda: all(v.frames >= 30 for v in viewers), 20, "30 frames per viewer")
    assert all(v.keyframes >= 1 for v in viewers)
    assert decoders.count == 0, "a receiver in this process decoded (neither the server nor these viewers may)"


async def test_a_viewer_pli_reaches_the_publisher(live_show: LiveShow, base_url: str, http: aiohttp.ClientSession,
                                                  closing: list[Any]) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(publisher)
    viewer = await peers.watch(http, base_url, live_show.id, decode=False)
    closing.append(viewer)
    await eventually(lambda: viewer.frames >= 10, 15, "the viewer's first frames")
    await asyncio.sleep(forward.KEYFRAME_INTERVAL)
    before = len(publisher.keyframe_requests)
    keyframes_before = viewer.keyframes
    await peers.ask_keyframe(viewer)
    await eventually(lambda: len(publisher.keyframe_requests) > before, 5, "the PLI to reach the publisher")
    await eventually(lambda: viewer.keyframes > keyframes_before, 5, "the new keyframe to reach the viewer")


async def test_keyframe_requests_to_the_host_are_throttled(live_show: LiveShow, base_url: str,
                                                           http: aiohttp.ClientSession, closing: list[Any]) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    viewer = await peers.watch(http, base_url, live_show.id, decode=False)
    closing.extend([publisher, viewer])
    await eventually(lambda: viewer.frames >= 10, 15, "the viewer's first frames")
    await asyncio.sleep(forward.KEYFRAME_INTERVAL)
    before = len(publisher.keyframe_requests)
    for _ in range(10):
        await peers.ask_keyframe(viewer)
    await asyncio.sleep(forward.KEYFRAME_INTERVAL * 2.5)
    # Ten PLIs in a burst: one request at once and at most one merged request after the interval.
    assert 1 <= len(publisher.keyframe_requests) - before <= 2


async def test_joiners_start_from_the_cached_pictures_or_ask_for_a_keyframe(
        live_show: LiveShow, base_url: str, http: aiohttp.ClientSession, closing: list[Any],
        media: MediaRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiortc.codecs import vpx

    # aiortc's encoder restarts, with a keyframe nobody asked for, when the bitrate it is told changes much.
    for limit in ("DEFAULT_BITRATE", "MIN_BITRATE", "MAX_BITRATE"):
        monkeypatch.setattr(vpx, limit, 500_000)
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token)
    closing.append(publisher)
    video = media.shows[live_show.id].relay.video
    await eventually(lambda: video.cached_frames >= 10, 10, "the host's first pictures, cached")

    live_edge = publisher.track.sent
    early = await peers.watch(http, base_url, live_show.id)  # decodes: the cached pictures must be whole
    closing.append(early)
    await eventually(lambda: len(early.numbers) >= 5, 10, "the early viewer's frames")
    assert early.numbers[0] < live_edge, "it started from pictures sent before it joined: the cache"
    assert early.numbers[:5] == list(range(early.numbers[0], early.numbers[0] + 5))

    await eventually(lambda: video.cached_frames == 0, 10, "the cached group to grow past its limit")
    live_edge, asked = publisher.track.sent, len(publisher.keyframe_requests)
    late = await peers.watch(http, base_url, live_show.id)
    closing.append(late)
    await eventually(lambda: len(late.numbers) >= 5, 10, "the late viewer's frames")
    assert len(publisher.keyframe_requests) > asked, "with nothing cached, a joiner asks the host for a keyframe"
    assert late.numbers[0] >= live_edge, "and starts at that new keyframe, at the live edge"
