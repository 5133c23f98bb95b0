"""A stuck test says where it is stuck: after ``STUCK_SECONDS`` the watchdog prints every thread's stack and
every pending asyncio task's stack (the test's own await, the app's handlers and workers) to stderr, while
the test keeps running; pytest-timeout (pyproject.toml) then ends the run.

Why by hand: pytest-timeout dumps threads only, and an asyncio test that hangs has one thread parked in
``select``; the await that never returns is in a task's stack, which only the loop's task list holds.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import sys
import threading
from collections.abc import Iterator

import pytest

STUCK_SECONDS = float(os.environ.get("LIVE_TEST_STUCK_SECONDS", "240"))


def running_loops() -> list[asyncio.AbstractEventLoop]:
    return [obj for obj in gc.get_objects() if isinstance(obj, asyncio.AbstractEventLoop) and obj.is_running()]


def dump_stuck(nodeid: str) -> None:
    err = sys.stderr
    print(f"\n=== watchdog: {nodeid} has run for {STUCK_SECONDS:.0f} s; threads, then asyncio tasks ===",
          file=err, flush=True)
    faulthandler.dump_traceback(file=err, all_threads=True)
    for loop in running_loops():
        for task in list(asyncio.all_tasks(loop)):
            print(f"--- {task!r}", file=err)
            try:
                task.print_stack(limit=30, file=err)
            except Exception as exc:  # the loop is live in another thread: a stack may change under us
                print(f"    (stack unreadable: {exc!r})", file=err)
    print("=== watchdog: end ===", file=err, flush=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    timer = threading.Timer(STUCK_SECONDS, dump_stuck, args=(item.nodeid,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
