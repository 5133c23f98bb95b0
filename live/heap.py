"""The server process's heap, once the app has started: what start-up built (routes, schemas, the ORM's
mappers, compiled statements) lives as long as the process, so it leaves the garbage collector's view.

Why: each full collection walks every tracked object, and start-up leaves a few hundred thousand. On a
two-core machine a full collection in a web worker then paused every request it held for a tenth of a
second or more: the slowest taps of a deal drop were the collector, not the taps. ``gc.freeze`` (CPython's
own advice for long-lived start-up objects) keeps them out of every later collection. Only the server's
entry points call it: the test suite builds hundreds of apps in one process, and frozen objects are never
freed.
"""

from __future__ import annotations

import gc

from aiohttp import web


async def freeze_on_startup(_app: web.Application) -> None:
    """An ``on_startup`` handler, added after the app's own (its contexts start first): collect start-up's
    garbage, then freeze what is left."""
    gc.collect()
    gc.freeze()
