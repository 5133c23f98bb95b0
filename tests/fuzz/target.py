"""The app under fuzzing: the real aiohttp app on a real port, served from its own thread and event loop, so
schemathesis (which speaks plain blocking HTTP) can call it from the test's thread. Before it is handed over,
the API itself seeds one merchant, host and viewer and the things they own, so operations on a path with an
id reach real data, not only 404s."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from live.app import create_app
from live.config import Settings
from tests.helpers import Actor, Api, unique_email

START_TIMEOUT_S = 60.0


@dataclass
class Seed:
    """Who calls (a token per role) and which ids exist, by the name of the path parameter that takes them."""

    tokens: dict[str, str]
    ids: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class FuzzTarget:
    base_url: str
    seed: Seed


async def _affiliate(api: Api, merchant: Actor) -> tuple[str, Actor]:
    """An affiliate of the merchant, signed in: its id and its account."""
    email = unique_email("fuzz-aff")
    _, body = await api.call("POST", "/api/merchants/me/affiliates", merchant, json={
        "display_name": "Fuzz partner", "email": email, "password": "affiliate-pass-1",
        "commission": {"percent": 10}}, expect=201)
    _, session = await api.call("POST", "/api/sessions", json={"email": email, "password": "affiliate-pass-1"},
                                expect=200)
    return body["affiliate"]["id"], Actor(session["token"], session["user"])


async def _seed(api: Api) -> Seed:
    merchant = await api.merchant("Fuzz shop")
    host = await api.host(merchant, "Fuzz host")
    viewer = await api.viewer("Fuzz viewer")
    product = await api.product(merchant)
    scheduled = await api.show(merchant, host)
    later = await api.offer(merchant, scheduled["id"], product["id"])
    live, on_sale = await api.live_show(merchant, stock=50, limit=5, host=host)
    _, tapped = await api.tap(viewer, live["id"], on_sale["id"])
    _, said = await api.call("POST", f"/api/shows/{live['id']}/chat", viewer, json={"text": "hello"}, expect=201)
    affiliate, partner = await _affiliate(api, merchant)
    actors: dict[str, Actor] = {"merchant": merchant, "host": host, "viewer": viewer, "affiliate": partner}
    return Seed(
        tokens={role: actor.token for role, actor in actors.items()},
        ids={
            "show_id": [live["id"], scheduled["id"]],
            "offer_id": [on_sale["id"], later["id"]],
            "product_id": [product["id"]],
            "order_id": [tapped["order"]["id"]],
            "merchant_id": [merchant.merchant_id],
            "message_id": [said["id"]],
            "user_id": [viewer.id],
            "host_id": [host.id, merchant.id],
            "affiliate_id": [affiliate],
        },
    )


@contextmanager
def serve(settings: Settings) -> Iterator[FuzzTarget]:
    """Serve ``create_app(settings)`` on ``settings.port`` until the block ends."""
    ready = threading.Event()
    handed: dict[str, Any] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        handed["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        client = TestClient(TestServer(create_app(settings), host="127.0.0.1", port=settings.port))
        await client.start_server()
        try:
            handed["target"] = FuzzTarget(str(client.make_url("")).rstrip("/"), await _seed(Api(client)))
        except BaseException as exc:
            handed["error"] = exc
            raise
        finally:
            ready.set()
        try:
            await stop.wait()
        finally:
            await client.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="fuzz-target", daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT_S) or "target" not in handed:
        raise RuntimeError(f"the app under test did not start: {handed.get('error')!r}")
    try:
        yield handed["target"]
    finally:
        handed["stop"]()
        thread.join(START_TIMEOUT_S)
