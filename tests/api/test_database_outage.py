"""The database is away (here: a second web process whose PostgreSQL address answers nothing, beside one that
works, on the same Redis): a live show stays watchable and buyable from its last good copy and Redis, and
every other endpoint answers 503 database_unavailable with Retry-After, never 500. Runs on both backends;
tests/faults/test_postgres_outage.py stops a real cluster in the middle of a sale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient

from live.app import create_app
from live.config import Settings
from tests.conftest import free_port
from tests.helpers import Api
from tests.realtime.conftest import Socket


@asynccontextmanager
async def cut_off(settings: Settings, aiohttp_client) -> AsyncIterator[TestClient]:
    """A second web process on the same Redis whose database address answers nothing."""
    away = settings.model_copy(update={
        "database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gone", "run_workers": False,
        "port": free_port()})
    client = await aiohttp_client(create_app(away), server_kwargs={"port": away.port})
    try:
        yield client
    finally:
        await client.close()


async def test_a_live_show_is_served_while_the_database_is_away(
        api: Api, client: TestClient, settings: Settings, aiohttp_client) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=2)
    viewer = await api.viewer()
    assert (await api.tap(viewer, show["id"], offer["id"]))[0] == 201
    _, before = await api.call("GET", f"/api/shows/{show['id']}", expect=200)

    async with cut_off(settings, aiohttp_client) as away:
        outage = Api(away)
        status, during = await outage.call("GET", f"/api/shows/{show['id']}")
        assert status == 200, during
        assert during["title"] == before["title"] and during["offers"][0]["remaining"] == 4
        assert {k: v for k, v in during.items() if k != "offers"} == {k: v for k, v in before.items() if k != "offers"}

        status, body = await outage.tap(viewer, show["id"], offer["id"])
        assert status == 201, body
        _, during = await outage.call("GET", f"/api/shows/{show['id']}", expect=200)
        assert during["offers"][0]["remaining"] == 3

        socket = await Socket(str(away.make_url("/"))).connect(viewer)
        try:
            snapshot = await socket.call("join", {"show_id": show["id"]})
            assert "error" not in snapshot, snapshot
            assert snapshot["stock"] == {offer["id"]: 3} and snapshot["show"]["state"] == "live"
            ack = await socket.call("join", {"show_id": "shw_0000000000000000000000f"})
            assert ack["error"]["code"] == "database_unavailable", ack
        finally:
            await socket.close()

        for method, path, actor, payload in [
            ("GET", "/api/me/orders", viewer, None),
            ("GET", "/api/shows/shw_0000000000000000000000f", None, None),  # no copy of a show never read
            ("GET", "/api/shows", None, None),
            ("POST", "/api/products", owner, {"sku": "X", "title": "X", "price_cents": 1, "currency": "USD"}),
            ("GET", f"/api/shows/{show['id']}/orders", owner, None),
        ]:
            headers = actor.headers if actor else {}
            async with away.request(method, path, json=payload, headers=headers) as response:
                answer = await response.json()
                assert response.status == 503, (path, answer)
                assert answer["error"]["code"] == "database_unavailable", (path, answer)
                assert int(response.headers["Retry-After"]) > 0


async def test_the_copy_follows_an_offer_change(api: Api, client: TestClient, settings: Settings,
                                                aiohttp_client) -> None:
    """Changed through the API after the last read, the offer's new price is what the copy serves."""
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=5, limit=2)
    await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    await api.call("PATCH", f"/api/shows/{show['id']}/offers/{offer['id']}", owner, json={"price_cents": 777},
                   expect=200)
    async with cut_off(settings, aiohttp_client) as away:
        _, during = await Api(away).call("GET", f"/api/shows/{show['id']}", expect=200)
        assert during["offers"][0]["price_cents"] == 777
