"""Recording: the forwarded frames muxed into a file as they are (WebM for VP8, MP4 for H.264, with Opus), the
card pushes as chapters and in a sidecar file, switched on when the show is scheduled or during it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import av

from bench import peers
from live.config import Settings
from streams.registry import MediaRegistry
from tests.helpers import Api
from tests.streams.conftest import LiveShow, eventually


def recordings(settings: Settings, show_id: str, suffix: str) -> list[Path]:
    return sorted((settings.data_dir / "recordings" / show_id).glob(f"*{suffix}"))


def read_back(path: Path) -> tuple[dict[str, int], list[int], list[Any]]:
    """Packets per stream (demuxed, not decoded), the numbers on the first decoded pictures, the chapters."""
    with av.open(str(path)) as container:
        chapters = container.chapters()
        counts: dict[str, int] = {}
        for packet in container.demux():
            if packet.size:
                counts[packet.stream.type] = counts.get(packet.stream.type, 0) + 1
    with av.open(str(path)) as container:
        numbers = [peers.read_number(frame) for _, frame in zip(range(10), container.decode(video=0), strict=False)]
    return counts, numbers, chapters


async def test_a_show_scheduled_for_recording_is_recorded_with_its_card_marks(
        api: Api, settings: Settings, base_url: str, http: aiohttp.ClientSession, closing: list,
        media: MediaRegistry) -> None:
    owner = await api.merchant()
    show = await api.show(owner, record=True)
    assert show["record"] is True
    await api.call("POST", f"/api/shows/{show['id']}/start", owner, expect=200)
    publisher = await peers.publish(http, base_url, show["id"], owner.token)
    closing.append(publisher)
    await eventually(lambda: publisher.track.sent >= 30, 10, "a second of video")
    at = media.mark(show["id"], "card off_1")
    assert at is not None and at > 0.5
    await eventually(lambda: publisher.track.sent >= 60, 10, "another second")
    await api.call("POST", f"/api/shows/{show['id']}/end", owner, expect=200)

    (path,) = recordings(settings, show["id"], ".webm")
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.width, video.codec_context.height) == ("vp8", 320, 240)
        assert audio.codec_context.name == "opus" and (audio.codec_context.extradata or b"")[:8] == b"OpusHead"
    counts, numbers, chapters = read_back(path)
    assert counts["video"] >= 45 and counts["audio"] >= 75
    assert numbers == list(range(numbers[0], numbers[0] + 10)), "the host's own frames, in order"
    assert [c["metadata"]["title"] for c in chapters] == ["card off_1"]
    assert abs(chapters[0]["start"] * chapters[0]["time_base"] - at) < 0.01
    (marks,) = recordings(settings, show["id"], ".marks.jsonl")
    line = json.loads(marks.read_text())
    assert (line["t"], line["label"]) == (at, "card off_1")


async def test_recording_is_switched_on_and_off_during_the_show(
        api: Api, settings: Settings, live_show: LiveShow, base_url: str, http: aiohttp.ClientSession,
        closing: list, media: MediaRegistry) -> None:
    publisher = await peers.publish(http, base_url, live_show.id, live_show.host.token, codec="video/H264")
    closing.append(publisher)
    await eventually(lambda: publisher.track.sent >= 10, 10, "video")
    assert media.mark(live_show.id, "nothing is recorded") is None
    before = len(publisher.keyframe_requests)
    status, body = await api.call("PATCH", f"/api/shows/{live_show.id}", live_show.owner, json={"record": True})
    assert status == 200 and body["record"] is True
    await eventually(lambda: len(publisher.keyframe_requests) > before, 5, "a keyframe to start the file")
    await eventually(lambda: recordings(settings, live_show.id, ".mp4"), 5, "the file")
    await eventually(lambda: publisher.track.sent >= 70, 10, "two seconds more")
    await api.call("PATCH", f"/api/shows/{live_show.id}", live_show.owner, json={"record": False}, expect=200)
    assert media.mark(live_show.id, "too late") is None

    (path,) = recordings(settings, live_show.id, ".mp4")
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.codec_context.width, video.codec_context.height) == ("h264", 320, 240)
    counts, numbers, _ = read_back(path)
    assert counts["video"] >= 30
    assert numbers == list(range(numbers[0], numbers[0] + 10))
