"""The room's clock: live stock without storms, the viewer count, reactions per second, and the viewer figures
kept for analytics."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from db.models import ShowMinute, ShowStats
from live import keys
from tests.helpers import Api
from tests.realtime.conftest import Socket, SocketFactory


def stamped(socket: Socket, event: str) -> list[tuple[float, object]]:
    """Record arrival times of one event (the Socket records payloads only)."""
    arrivals: list[tuple[float, object]] = []

    async def on_event(data: object) -> None:
        arrivals.append((time.monotonic(), data))

    socket.sio.on(event, on_event)
    return arrivals


async def test_a_burst_of_sales_makes_a_few_stock_events_with_the_true_count(
        api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=1500, limit=10)
    buyers = await asyncio.gather(*(api.viewer(f"buyer{i}") for i in range(100)))
    watchers = [await sockets(await api.viewer()) for _ in range(3)]
    arrivals = [stamped(w, "stock") for w in watchers]
    for w in watchers:
        await w.join(show["id"])
    await asyncio.sleep(0.5)  # the first tick may send the current stock once
    for a in arrivals:
        a.clear()

    started = time.monotonic()
    taps = await asyncio.gather(*(api.tap(buyers[i % 100], show["id"], offer["id"]) for i in range(1000)))
    burst = time.monotonic() - started
    assert [status for status, _ in taps] == [201] * 1000, "1,000 real orders in a burst"
    true_remaining = int(await client.app[keys.redis_key].hget(
        client.app[keys.redis_keys_key].show(show["id"]).stock, offer["id"]))
    assert true_remaining == 500
    await asyncio.sleep(1.0)

    for events in arrivals:
        assert events, "stock changed: viewers must hear of it"
        assert events[-1][1] == {"show_id": show["id"], "stock": {offer["id"]: 500}}
        times = [t for t, _ in events]
        per_second = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
        assert per_second <= 6, f"{per_second} stock events in one second"
        assert len(events) <= 5 * (burst + 1.0) + 2, f"{len(events)} events for a {burst:.2f}s burst"
    quiet = [len(a) for a in arrivals]
    await asyncio.sleep(0.6)
    assert [len(a) for a in arrivals] == quiet, "no change, no event"


async def test_the_viewer_count_follows_joins_and_leaves_and_the_peak_is_kept(
        api: Api, sockets: SocketFactory, client: TestClient) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    first = await sockets(await api.viewer())
    await first.join(show["id"])
    others = [await sockets(await api.viewer()) for _ in range(2)] + [await sockets(name="Anon")]
    for s in others:
        await s.join(show["id"])
    assert (await first.wait_for("viewers", lambda e: e["count"] == 4))["show_id"] == show["id"]
    await others[0].close()
    await first.call("leave", {"show_id": show["id"]})
    await others[1].wait_for("viewers", lambda e: e["count"] == 2)
    for s in others[1:]:
        await s.close()
    await first.close()

    async def figures() -> tuple[ShowStats | None, list[int]]:
        async with client.app[keys.sessionmaker_key]() as session:
            stats = await session.get(ShowStats, show["id"])
            minutes = (await session.scalars(select(ShowMinute.viewers).where(
                ShowMinute.show_id == show["id"]))).all()
            return stats, list(minutes)

    deadline = time.monotonic() + 3
    stats, minutes = await figures()
    while (stats is None or stats.peak_viewers < 4) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        stats, minutes = await figures()
    assert stats is not None and stats.peak_viewers == 4 and stats.unique_viewers == 4
    assert max(minutes) == 4


async def test_reactions_are_summed_per_second(api: Api, sockets: SocketFactory) -> None:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    fans = [await sockets(await api.viewer()) for _ in range(2)]
    anon = await sockets(name="Anon")
    for s in [*fans, anon]:
        await s.join(show["id"])
    sent = {"heart": 0, "fire": 0}
    for fan in fans:
        for kind in ["heart", "heart", "heart", "fire"]:
            assert await fan.call("react", {"show_id": show["id"], "kind": kind}) == {"ok": True}
            sent[kind] += 1
    assert (await anon.call("react", {"show_id": show["id"], "kind": "heart"}))["error"]["code"] == \
        "sign_in_required"
    assert (await fans[0].call("react", {"show_id": show["id"], "kind": "poop"}))["error"]["code"] == \
        "validation_error"

    def received(s: Socket) -> dict[str, int]:
        total: dict[str, int] = {}
        for event in s.events["reactions"]:
            for kind, n in event["counts"].items():
                total[kind] = total.get(kind, 0) + n
        return total

    deadline = time.monotonic() + 4
    while received(anon) != sent and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert received(anon) == sent
    assert len(anon.events["reactions"]) <= 2, "one event per second (the burst may straddle two)"
    seconds = [e["second"] for e in anon.events["reactions"]]
    assert seconds == sorted(set(seconds))

    limited = [await fans[1].call("react", {"show_id": show["id"], "kind": "clap"}) for _ in range(12)]
    assert any(a.get("error", {}).get("code") == "rate_limited" for a in limited)
