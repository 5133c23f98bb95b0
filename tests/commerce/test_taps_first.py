"""Taps first (live/commerce/taps_first.py): a process's background workers hold back while it takes taps,
for a bounded time, and drain as soon as the taps pause or the bound is reached."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient

from live import keys
from live.commerce.taps_first import QUIET_SECONDS, Holdback, TapActivity
from tests.commerce.checks import drained, sql_orders
from tests.helpers import Api


async def _tapping(activity: TapActivity, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        activity.tapped()
        await asyncio.sleep(QUIET_SECONDS / 4)


async def test_no_taps_no_waiting() -> None:
    started = time.monotonic()
    await Holdback(TapActivity(), hold_seconds=5).wait()
    assert time.monotonic() - started < 0.05


async def test_holds_while_taps_arrive_then_only_up_to_its_bound() -> None:
    activity = TapActivity()
    holdback = Holdback(activity, hold_seconds=0.3)
    taps = asyncio.create_task(_tapping(activity, 2.0))
    try:
        await asyncio.sleep(0.01)
        started = time.monotonic()
        await holdback.wait()
        held = time.monotonic() - started
        assert 0.25 <= held < 1.0, held  # the bound, although the taps go on
        started = time.monotonic()
        await holdback.wait()  # not caught up yet: drains alongside the taps
        assert time.monotonic() - started < 0.05
        holdback.caught_up()
        started = time.monotonic()
        await holdback.wait()  # caught up, and taps still arrive: holds again
        assert time.monotonic() - started >= 0.25
    finally:
        taps.cancel()


async def test_stops_holding_when_the_taps_pause() -> None:
    activity = TapActivity()
    holdback = Holdback(activity, hold_seconds=5)
    taps = asyncio.create_task(_tapping(activity, 0.2))
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await holdback.wait()
    assert 0.15 <= time.monotonic() - started < 1.0
    await taps


async def test_zero_never_holds() -> None:
    activity = TapActivity()
    activity.tapped()
    started = time.monotonic()
    await Holdback(activity, hold_seconds=0).wait()
    assert time.monotonic() - started < 0.05


async def test_the_desk_notes_each_tap_and_the_orders_still_reach_sql(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=5)
    viewer = await api.viewer(payment_method="pm_card_visa")
    activity = client.app[keys.order_desk_key].activity
    before = activity.last
    status, body = await api.tap(viewer, show["id"], offer["id"])
    assert status == 201, body
    assert activity.last > before
    await drained(client, show["id"])
    assert [r.id for r in await sql_orders(client, show["id"])] == [body["order"]["id"]]
