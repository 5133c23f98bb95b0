"""Stopping background tasks for sure. A library may swallow a CancelledError (redis-py can, while it drops a
connection), which would leave a worker looping and the app's shutdown waiting forever; so cancellation is
repeated until every task has really finished."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger("live.background")


async def stop_tasks(tasks: Iterable[asyncio.Task[None]], retry_every: float = 0.5) -> None:
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=retry_every)
        for task in pending:
            log.warning("background task ignored its cancellation; cancelling again", extra={"task": task.get_name()})
