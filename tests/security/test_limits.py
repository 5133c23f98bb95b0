"""Abuse limits through the real HTTP app and socket.io: each answers ``429 rate_limited`` with Retry-After at
its threshold, and the next caller (another address, account, device or email) still gets through. The
clients' addresses come from X-Forwarded-For: the test client is the trusted proxy."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestClient
from yarl import URL

from live.config import Settings
from live.limits import client_address, trusted_networks
from tests.conftest import free_port, make_settings
from tests.helpers import Actor, Api, sdp_offer, unique_email
from tests.services import Services

SDP = {"Content-Type": "application/sdp"}


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    return make_settings(
        services, tmp_path / "data", production_limits=True, port=free_port(), trusted_proxies=["127.0.0.1"],
        limit_signups_per_address="3/minute", limit_signups_per_email="2/hour", limit_logins_per_address="8/minute",
        limit_login_failures_per_email_and_address="3/5minutes", limit_login_failures_per_email="5/minute",
        limit_viewers_per_address="4/minute", limit_taps_per_buyer="5/10seconds",
        limit_sockets_per_address="6/minute", limit_sockets_per_visitor="3/minute", limit_joins_per_visitor="4/minute",
        limit_joins_per_address="5/minute", limit_whep_offers_per_address="3/minute")


def at(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def assert_limited(status: int, body: Any, headers: Any = None) -> None:
    assert status == 429 and body["error"]["code"] == "rate_limited", body
    assert body["error"]["retry_after_ms"] >= 1000
    if headers is not None:
        assert int(headers["Retry-After"]) >= 1


async def post(api: Api, path: str, address: str, json: Any = None, actor: Actor | None = None,
               **kw: Any) -> tuple[int, Any, Any]:
    headers = {**at(address), **(actor.headers if actor else {}), **kw.pop("headers", {})}
    async with api.client.post(path, json=json, headers=headers, **kw) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body, response.headers


async def test_merchant_signups_per_address_and_per_email(api: Api) -> None:
    def signup(email: str | None = None) -> dict[str, str]:
        return {"name": "Shop", "email": email or unique_email("m"), "password": "correct-horse-1"}

    for _ in range(3):
        assert (await post(api, "/api/merchants", "198.51.100.1", signup()))[0] == 201
    assert_limited(*(await post(api, "/api/merchants", "198.51.100.1", signup())))
    assert (await post(api, "/api/merchants", "198.51.100.2", signup()))[0] == 201, "another address signs up"
    email = unique_email("taken")
    assert (await post(api, "/api/merchants", "198.51.100.3", signup(email)))[0] == 201
    assert (await post(api, "/api/merchants", "198.51.100.4", signup(email)))[0] == 409
    assert_limited(*(await post(api, "/api/merchants", "198.51.100.5", signup(email))))


async def test_login_failures_lock_the_email_for_that_address_only_and_briefly_for_everyone(api: Api) -> None:
    email = unique_email("owner")
    await post(api, "/api/merchants", "203.0.113.9", {"name": "S", "email": email, "password": "correct-horse-1"})
    wrong, right = {"email": email, "password": "wrong-password"}, {"email": email, "password": "correct-horse-1"}
    for _ in range(3):
        assert (await post(api, "/api/sessions", "198.51.100.66", wrong))[0] == 401
    assert_limited(*(await post(api, "/api/sessions", "198.51.100.66", right)))
    assert (await post(api, "/api/sessions", "203.0.113.9", right))[0] == 200, "the owner elsewhere is not locked out"
    for address in ("198.51.100.67", "198.51.100.68"):
        assert (await post(api, "/api/sessions", address, wrong))[0] == 401
    assert_limited(*(await post(api, "/api/sessions", "203.0.113.9", right)))  # 5 failures a minute: everyone waits
    status, body, headers = await post(api, "/api/sessions", "203.0.113.10", right)
    assert_limited(status, body, headers)
    assert int(headers["Retry-After"]) <= 60, "the lockout for everyone lasts at most a minute"


async def test_login_attempts_per_address(api: Api) -> None:
    for i in range(8):
        assert (await post(api, "/api/sessions", "198.51.100.80", {"email": f"nobody{i}@example.com",
                                                                    "password": "whatever-1"}))[0] == 401
    assert_limited(*(await post(api, "/api/sessions", "198.51.100.80", {"email": "x@example.com", "password": "p"})))
    assert (await post(api, "/api/sessions", "198.51.100.81", {"email": "x@example.com", "password": "pw"}))[0] == 401


async def test_viewer_accounts_per_address(api: Api) -> None:
    for i in range(4):
        assert (await post(api, "/api/viewers", "192.0.2.7", {"display_name": f"V{i}"}))[0] == 201
    assert_limited(*(await post(api, "/api/viewers", "192.0.2.7", {"display_name": "Bot"})))
    assert (await post(api, "/api/viewers", "192.0.2.8", {"display_name": "Real"}))[0] == 201


async def test_taps_per_buyer(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=100, limit=100)
    bot, buyer = await api.viewer("Bot"), await api.viewer("Buyer")
    for i in range(5):
        assert (await api.tap(bot, show["id"], offer["id"], key=f"tap-{i}"))[0] == 201
    status, body = await api.tap(bot, show["id"], offer["id"])
    assert_limited(status, body)
    status, _again = await api.tap(bot, show["id"], offer["id"], key="tap-0")
    assert status == 200, "a retry of an earlier tap is never limited: it is the same order"
    assert (await api.tap(buyer, show["id"], offer["id"]))[0] == 201, "another buyer taps"


async def test_whep_offers_per_address(api: Api) -> None:
    owner = await api.merchant()
    show = await api.show(owner)
    await api.call("POST", f"/api/shows/{show['id']}/start", owner, expect=200)
    offer = await sdp_offer("recvonly")
    path = f"/api/shows/{show['id']}/whep"
    for _ in range(3):
        status, _, headers = await post(api, path, "198.51.100.90", data=offer, headers=SDP)
        assert status == 201
        await api.call("DELETE", URL(headers["Location"]).path)  # absolute: the node that holds it
    assert_limited(*(await post(api, path, "198.51.100.90", data=offer, headers=SDP)))
    assert (await post(api, path, "198.51.100.91", data=offer, headers=SDP))[0] == 201


async def _connect(client: TestClient, address: str, auth: dict[str, Any]) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(str(client.make_url("/")), auth=auth, headers=at(address), transports=["websocket"],
                      wait_timeout=5)
    return sio


async def _refused(client: TestClient, address: str, auth: dict[str, Any]) -> Any:
    with pytest.raises(socketio.exceptions.ConnectionError) as refused:
        await _connect(client, address, auth)
    return refused.value


async def test_sockets_per_address_and_per_account_or_device(api: Api, client: TestClient) -> None:
    viewer = await api.viewer()
    opened = []
    try:
        for _ in range(3):
            opened.append(await _connect(client, "198.51.100.100", {"token": viewer.token}))
        await _refused(client, "198.51.100.101", {"token": viewer.token})  # the account's limit, any address
        device = secrets.token_hex(8)
        for _ in range(3):
            opened.append(await _connect(client, "198.51.100.100", {"device_id": device}))
        await _refused(client, "198.51.100.102", {"device_id": device})
        await _refused(client, "198.51.100.100", {})  # the address's 7th socket
        opened.append(await _connect(client, "198.51.100.103", {"device_id": secrets.token_hex(8)}))
    finally:
        for sio in opened:
            await sio.disconnect()


async def test_joins_per_device_and_per_unknown_address(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show = await api.show(owner)
    bot = await _connect(client, "198.51.100.110", {"device_id": "bot-" + secrets.token_hex(6)})
    anonymous = await _connect(client, "198.51.100.111", {})
    fan = await _connect(client, "198.51.100.110", {"device_id": "fan-" + secrets.token_hex(6)})
    try:
        for _ in range(4):
            assert "show" in await bot.call("join", {"show_id": show["id"]}, timeout=5)
        answer = await bot.call("join", {"show_id": "shw_0000000000000000"}, timeout=5)
        assert answer["error"]["code"] == "rate_limited" and answer["error"]["retry_after_ms"] >= 1000
        for _ in range(5):
            assert "show" in await anonymous.call("join", {"show_id": show["id"]}, timeout=5)
        assert (await anonymous.call("join", {"show_id": show["id"]}, timeout=5))["error"]["code"] == "rate_limited"
        assert "show" in await fan.call("join", {"show_id": show["id"]}, timeout=5), "a fan from the bot's address"
    finally:
        for sio in (bot, anonymous, fan):
            await sio.disconnect()


def test_the_client_address_comes_from_the_socket_unless_a_trusted_proxy_forwards_it() -> None:
    proxies = trusted_networks(["10.0.0.0/8", "127.0.0.1"])
    assert client_address("203.0.113.5", "198.51.100.1", proxies) == "203.0.113.5", "untrusted peer: ignored"
    assert client_address("127.0.0.1", "198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("10.1.1.1", "6.6.6.6, 198.51.100.1, 10.2.2.2", proxies) == "198.51.100.1", \
        "the first address our proxies did not add; what the client wrote before it is not believed"
    assert client_address("127.0.0.1", "garbage", proxies) == "127.0.0.1"
    assert client_address("2001:db8:1:2:3:4:5:6", None, proxies) == "2001:db8:1:2::/64", "one subscriber's /64"
