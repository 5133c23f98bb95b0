"""TURN credentials over real HTTP: an anonymous viewer's WHEP answer carries credentials of its own that
expire within hours and that coturn's use-auth-secret check accepts; nothing else hands them out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path

import pytest

from live.config import Settings
from tests.conftest import free_port, make_settings
from tests.helpers import Api, sdp_offer
from tests.services import Services
from tests.streams.conftest import LiveShow

TURN_SECRET = "turn-" + secrets.token_urlsafe(24)
TTL = 2 * 3600
LINK = re.compile(r'<(turns?:[^>]+)>; rel="ice-server"; username="(\d+):([0-9a-f]+)"; credential="([^"]+)"; '
                  r'credential-type="password"')


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    return make_settings(services, tmp_path / "data", port=free_port(), turn_secret=TURN_SECRET,
                         turn_credential_ttl_seconds=TTL,
                         ice_servers=["stun:turn.example.net:3478", "turn:turn.example.net:3478?transport=udp"])


async def _watch(api: Api, show: LiveShow) -> tuple[int, str]:
    async with api.client.post(f"/api/shows/{show.id}/whep", data=await sdp_offer("recvonly"),
                               headers={"Content-Type": "application/sdp"}) as response:
        await response.read()
        turn = [link for link in response.headers.getall("Link", []) if link.startswith("<turn")]
        return response.status, turn[0] if turn else ""


async def test_an_anonymous_viewers_turn_credential_expires_and_checks_out(api: Api, live_show: LiveShow) -> None:
    status, link = await _watch(api, live_show)
    assert status == 201
    found = LINK.fullmatch(link)
    assert found, link
    _, expiry, session_name, credential = found.groups()
    assert time.time() < int(expiry) <= time.time() + TTL + 1, "valid for the configured hours, then expired"
    digest = hmac.new(TURN_SECRET.encode(), f"{expiry}:{session_name}".encode(), hashlib.sha1).digest()
    assert base64.b64decode(credential) == digest, "coturn (use-auth-secret) accepts exactly this password"
    _, again = await _watch(api, live_show)
    other = LINK.fullmatch(again)
    assert other is not None and other[3] != session_name, "every session has its own"


async def test_credentials_come_only_with_an_answer(api: Api, live_show: LiveShow) -> None:
    async with api.client.options(f"/api/shows/{live_show.id}/whep") as response:
        assert "Link" not in response.headers
    _, show = await api.call("GET", f"/api/shows/{live_show.id}", expect=200)
    assert TURN_SECRET not in str(show) and "credential" not in str(show)
    async with api.client.post(f"/api/shows/{live_show.id}/whep", data="v=0 garbage",
                               headers={"Content-Type": "application/sdp"}) as response:
        assert response.status == 400 and "Link" not in response.headers
