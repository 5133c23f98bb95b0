"""Signing keys: a token forged for another merchant is refused over HTTP, published or weak keys stop the
server from starting, and a rotated key keeps its tokens valid."""

from __future__ import annotations

import secrets
from pathlib import Path

import jwt
import pytest
from aiohttp.test_utils import TestClient
from pydantic import ValidationError

from live.auth import Principal, TokenService
from live.config import Settings
from live.secret_keys import PUBLISHED_KEYS, key_id
from tests.conftest import make_settings, running_client
from tests.helpers import Api
from tests.services import Services

OLD_COMPOSE_DEFAULT = "change-me-to-a-long-random-secret-of-32-chars"


def forge(secret: str, merchant_id: str, user_id: str, **header: str) -> str:
    claims = {"sub": user_id, "role": "merchant", "mid": merchant_id, "name": "Mallory", "exp": 4102444800}
    return jwt.encode(claims, secret, algorithm="HS256", headers=header or None)


async def test_a_token_forged_for_another_merchant_is_refused(api: Api) -> None:
    victim = await api.merchant("Victim")
    show, offer = await api.live_show(victim)
    assert (await api.tap(await api.viewer(), show["id"], offer["id"]))[0] == 201
    orders = f"/api/shows/{show['id']}/orders"
    await api.call("GET", orders, victim, expect=200)
    for forged in (forge(OLD_COMPOSE_DEFAULT, victim.merchant_id, victim.id),
                   forge(OLD_COMPOSE_DEFAULT, victim.merchant_id, victim.id, kid=key_id(OLD_COMPOSE_DEFAULT)),
                   forge(secrets.token_urlsafe(32), victim.merchant_id, victim.id),
                   forge("guess-" + "g" * 40, victim.merchant_id, victim.id, kid="../../etc")):
        status, body = await api.call("GET", orders, headers={"Authorization": f"Bearer {forged}"})
        assert status == 401 and body["error"]["code"] == "invalid_token", body
        status, _ = await api.call("POST", f"/api/shows/{show['id']}/end", headers={
            "Authorization": f"Bearer {forged}"})
        assert status == 401
    unsigned = jwt.encode({"sub": victim.id, "role": "merchant", "mid": victim.merchant_id, "exp": 4102444800},
                          "", algorithm="none")  # "none" takes no key; pyjwt reads "" as none
    await api.call("GET", orders, headers={"Authorization": f"Bearer {unsigned}"}, expect=401)


@pytest.mark.parametrize("key", [*sorted(PUBLISHED_KEYS), "x" * 64, "abababababababababababababababababab",
                                 "short-0123456789", secrets.token_hex(20)])
def test_the_server_refuses_a_published_or_weak_key(key: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="secret key"):
        Settings(data_dir=tmp_path, secret_key=key)
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, secret_key=secrets.token_urlsafe(32), secret_keys_previous=[OLD_COMPOSE_DEFAULT])


def test_generated_and_random_keys_are_accepted(tmp_path: Path) -> None:
    for key in (secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(48)):
        assert Settings(data_dir=tmp_path, secret_key=key).resolved_secret_key() == key
    embedded = Settings(data_dir=tmp_path / "embedded")  # no key set: it makes its own and keeps it
    generated = embedded.resolved_secret_key()
    assert len(generated) >= 43 and Settings(data_dir=tmp_path / "embedded").resolved_secret_key() == generated
    assert (tmp_path / "embedded" / "secret.key").stat().st_mode & 0o077 == 0


async def test_a_rotated_key_keeps_its_tokens_and_new_tokens_use_the_new_key(
        aiohttp_client, services: Services, tmp_path: Path) -> None:
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    before = make_settings(services, tmp_path / "a", secret_key=old)
    async with running_client(aiohttp_client, before) as client:
        merchant = await Api(client).merchant()
    assert jwt.get_unverified_header(merchant.token)["kid"] == key_id(old)
    # a token from before key ids: no kid header, signed with the old key
    no_kid = jwt.encode({"sub": merchant.id, "role": "merchant", "mid": merchant.merchant_id, "exp": 4102444800},
                        old, algorithm="HS256")
    rotated = make_settings(services, tmp_path / "b", secret_key=new, secret_keys_previous=[old],
                            redis_prefix=before.redis_prefix)
    async with running_client(aiohttp_client, rotated) as client:
        api = Api(client)
        _, me = await api.call("GET", "/api/me", merchant, expect=200)
        assert me["id"] == merchant.id, "the old key's token still works"
        await check_new_tokens_use(client, new)
        await api.call("GET", "/api/me", headers={"Authorization": f"Bearer {no_kid}"}, expect=200)
    dropped = make_settings(services, tmp_path / "c", secret_key=new, redis_prefix=before.redis_prefix)
    async with running_client(aiohttp_client, dropped) as client:
        await Api(client).call("GET", "/api/me", merchant, expect=401)
        await Api(client).call("GET", "/api/me", headers={"Authorization": f"Bearer {no_kid}"}, expect=401)


async def check_new_tokens_use(client: TestClient, key: str) -> None:
    viewer = await Api(client).viewer()
    assert jwt.get_unverified_header(viewer.token)["kid"] == key_id(key)
    assert TokenService(key, 60).verify(viewer.token) == Principal(
        viewer.id, "viewer", None, viewer.user["display_name"], True)
