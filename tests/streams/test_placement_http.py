"""WHIP and WHEP placement as HTTP: a web node answers 307 to the chosen media node with a ticket for that
one call in the Location URL; with no media node alive it answers 503 with Retry-After."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis
from yarl import URL

from live.config import Settings
from live.keys import redis_key, redis_keys_key
from live.tickets import TicketService
from tests.conftest import free_port, make_settings
from tests.helpers import Api, sdp_offer
from tests.services import Services
from tests.streams.conftest import LiveShow

SDP = {"Content-Type": "application/sdp"}


@pytest.fixture
def settings(services: Services, tmp_path) -> Settings:
    return make_settings(services, tmp_path / "data", port=free_port(), role="web")


async def announce(client: TestClient, node_id: str, url: str, load: int = 0) -> None:
    """A media node's heartbeat, as live.media_nodes writes it."""
    entry = {"id": node_id, "url": url, "capacity": 10, "load": load, "relays": {},
             "expires_ms": int((time.time() + 60) * 1000)}
    await _redis(client).hset(client.app[redis_keys_key].media_nodes, node_id, json.dumps(entry))


def _redis(client: TestClient) -> Redis:
    return client.app[redis_key]


async def test_a_web_node_redirects_publishing_and_watching_with_tickets(
        api: Api, live_show: LiveShow, client: TestClient, settings: Settings) -> None:
    await announce(client, "media-a", "http://media-a.example:8081", load=3)
    await announce(client, "media-b", "http://media-b.example:8082", load=1)
    async with client.post(f"/api/shows/{live_show.id}/whip", data=await sdp_offer("sendonly"),
                           headers={**live_show.host.headers, **SDP}, allow_redirects=False) as response:
        assert response.status == 307
        location = URL(response.headers["Location"])
    assert str(location.origin()) == "http://media-b.example:8082", "the least loaded node becomes the origin"
    assert location.path == f"/api/shows/{live_show.id}/whip"
    tickets = TicketService(settings.resolved_secret_key())
    ticket = tickets.verify(location.query["ticket"], live_show.id, ("publish",), "media-b")
    assert ticket.principal is not None and ticket.principal.user_id == live_show.host.id
    origin_key = client.app[redis_keys_key].show(live_show.id).media_origin
    assert await _redis(client).get(origin_key) == "media-b"

    async with client.post(f"/api/shows/{live_show.id}/whep", data=await sdp_offer("recvonly"), headers=SDP,
                           allow_redirects=False) as response:
        assert response.status == 307
        watch = URL(response.headers["Location"])
    assert str(watch.origin()) == "http://media-b.example:8082", "viewers go to the origin while it has room"
    assert tickets.verify(watch.query["ticket"], live_show.id, ("watch",), "media-b").principal is None

    # Bad input is refused where it arrives, not redirected.
    async with client.post(f"/api/shows/{live_show.id}/whep", data="garbage", headers=SDP,
                           allow_redirects=False) as response:
        assert response.status == 400 and (await response.json())["error"]["code"] == "invalid_sdp"


async def test_no_media_node_is_503_with_retry_after(api: Api, live_show: LiveShow, client: TestClient) -> None:
    async with client.post(f"/api/shows/{live_show.id}/whep", data=await sdp_offer("recvonly"), headers=SDP,
                           allow_redirects=False) as response:
        assert response.status == 503 and response.headers["Retry-After"] == "1"
        assert (await response.json())["error"]["code"] == "no_media_node"
