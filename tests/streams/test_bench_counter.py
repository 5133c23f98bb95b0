"""The bench's cheap viewers (bench.peers.RtpCounter) count what a real viewer would get: as many frames as
aiortc's receive path reassembles from the same show, and none when packets go missing."""

from __future__ import annotations

import asyncio

import aiohttp

from bench import peers
from tests.streams.conftest import LiveShow, eventually


async def test_rtp_counter_counts_the_frames_a_reassembling_viewer_gets(live_show: LiveShow, base_url: str,
                                                                         closing: list) -> None:
    async with aiohttp.ClientSession() as http:
        closing.append(await peers.publish(http, base_url, live_show.id, live_show.host.token))
        counted, counter = await peers.count_packets(http, base_url, live_show.id)
        closing.append(counted)
        reassembled = await peers.watch(http, base_url, live_show.id, decode=False)
        closing.append(reassembled)
        await eventually(lambda: counted.frames > 0 and reassembled.frames > 0, 15, "both viewers' first frames")
        start = (counted.frames, reassembled.frames)
        await asyncio.sleep(2)
        by_headers, by_receiver = counted.frames - start[0], reassembled.frames - start[1]
    assert by_headers > 30, "a 30 fps show gives more than 30 frames in 2 s"
    assert abs(by_headers - by_receiver) <= 3, (by_headers, by_receiver)
    assert counter.lost == 0
    assert counted.octets > 0


def test_a_missing_packet_costs_its_frame() -> None:
    viewer = peers.Viewer(pc=None)  # type: ignore[arg-type]
    counter = peers.RtpCounter(viewer, {96})

    def packet(seq: int, marker: bool, pt: int = 96) -> bytes:
        return bytes([0x80, (0x80 if marker else 0) | pt]) + seq.to_bytes(2, "big") + bytes(8) + b"payload"

    for seq, marker in [(65533, True), (65534, False), (65535, True), (0, False), (1, True), (3, True), (4, True)]:
        counter.packet(packet(seq, marker))
    counter.packet(packet(5, True, pt=111))  # audio is not counted
    # 65533 ends a frame begun before the viewer joined; 65534-65535 and 0-1 are whole (across the wrap); the
    # frame ending at 3 lost packet 2; 4 is whole.
    assert viewer.frames == 3
    assert counter.lost == 1
