"""The fan-out's rules, without a network: what each viewer's outlet is handed, when. The outlets here stand
in for the network side only (a socket that is full or gone); the tracks and throttle are the real ones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from streams.forward import Frame, KeyframeRequests, Track

CLOCK = 90000


@dataclass
class Outlet:
    """Records what it is sent; ``backlog`` and ``alive`` play a slow or vanished viewer."""

    waiting_for_keyframe: bool = False
    backlog_bytes: int = 0
    alive: bool = True
    sent: list[tuple[int, list[bytes]]] = field(default_factory=list)

    def send(self, payloads: list[bytes], timestamp: int, size: int, ntp: int) -> bool:
        if self.alive:
            self.sent.append((timestamp, payloads))
        return self.alive

    def backlog(self) -> int:
        return self.backlog_bytes

    @property
    def timestamps(self) -> list[int]:
        return [ts for ts, _ in self.sent]


def frame(number: int, keyframe: bool = False) -> Frame:
    return Frame([f"frame {number}".encode()], number * 3000, keyframe, 100)


class Asks:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def video_track(**limits: int) -> tuple[Track, Asks]:
    keyframes = KeyframeRequests(interval=0.2)
    asks = Asks()
    keyframes.ask = asks
    return Track("video", CLOCK, keyframes, **limits), asks


async def test_a_joiner_gets_the_cached_pictures_squeezed_below_the_newest() -> None:
    track, asks = video_track()
    for n in range(5):
        track.push(frame(n, keyframe=n == 0), ntp=0)
    outlet = Outlet()
    track.attach(outlet)
    newest = 4 * 3000
    assert outlet.timestamps == [newest - 4, newest - 3, newest - 2, newest - 1, newest]
    assert [p for _, p in outlet.sent] == [[f"frame {n}".encode()] for n in range(5)]
    assert not outlet.waiting_for_keyframe and asks.count == 0
    track.push(frame(5), ntp=0)
    assert outlet.timestamps[-1] == 5 * 3000, "then it follows the live timeline"


async def test_without_a_cache_a_joiner_waits_for_the_keyframe_it_asks_for() -> None:
    track, asks = video_track(gop_max_frames=3)
    for n in range(5):  # the group outgrows the cache
        track.push(frame(n, keyframe=n == 0), ntp=0)
    assert track.cached_frames == 0
    outlet = Outlet()
    track.attach(outlet)
    assert outlet.waiting_for_keyframe and asks.count == 1
    track.push(frame(5), ntp=0)
    assert outlet.sent == []
    track.push(frame(6, keyframe=True), ntp=0)
    track.push(frame(7), ntp=0)
    assert outlet.timestamps == [6 * 3000, 7 * 3000]


async def test_a_viewer_that_cannot_keep_up_skips_to_the_next_keyframe() -> None:
    track, asks = video_track()
    fast, slow = Outlet(), Outlet()
    track.push(frame(0, keyframe=True), ntp=0)
    track.attach(fast)
    track.attach(slow)
    slow.backlog_bytes = 10_000_000
    track.push(frame(1), ntp=0)
    assert slow.waiting_for_keyframe and track.skipped == 1 and asks.count == 1
    slow.backlog_bytes = 0  # its socket drained, but a delta frame alone would not decode
    track.push(frame(2), ntp=0)
    track.push(frame(3, keyframe=True), ntp=0)
    assert slow.timestamps == [0, 3 * 3000]
    assert fast.timestamps == [0, 3000, 6000, 9000], "one slow viewer costs the others nothing"


async def test_a_vanished_viewer_is_detached() -> None:
    track, _ = video_track()
    gone = Outlet(alive=False)
    track.attach(gone)
    track.push(frame(0, keyframe=True), ntp=0)
    assert track.outlets == []


async def test_the_timeline_continues_when_the_host_reconnects() -> None:
    track, _ = video_track()
    outlet = Outlet()
    track.attach(outlet)
    for n in range(3):
        track.push(Frame([b"x"], track.timeline(n * 3000, now=10.0 + n / 30), n == 0, 1), ntp=0)
    track.restart()  # a new host: its timestamps start again near zero
    assert outlet.waiting_for_keyframe
    track.push(Frame([b"y"], track.timeline(500, now=12.0), True, 1), ntp=0)
    track.push(Frame([b"z"], track.timeline(3500, now=12.033), False, 1), ntp=0)
    first_gap = outlet.timestamps[3] - outlet.timestamps[2]
    assert outlet.timestamps == sorted(outlet.timestamps)
    assert abs(first_gap - int((12.0 - (10.0 + 2 / 30)) * CLOCK)) <= 1, "the pause shows as the real gap"
    assert outlet.timestamps[4] - outlet.timestamps[3] == 3000


async def test_keyframe_requests_merge_within_the_interval() -> None:
    keyframes = KeyframeRequests(interval=0.2)
    asks = Asks()
    keyframes.ask = asks
    keyframes.request()
    keyframes.request()
    keyframes.request()
    assert asks.count == 1
    await asyncio.sleep(0.3)
    assert asks.count == 2, "the merged request goes out when the interval ends"
    await asyncio.sleep(0.25)
    keyframes.request()
    assert asks.count == 3
    keyframes.request()
    keyframes.received()  # a keyframe came anyway: the deferred request is dropped
    await asyncio.sleep(0.3)
    assert asks.count == 3
    keyframes.ask = None
    keyframes.request()
    assert asks.count == 3, "no host, nobody to ask"
