"""Merchants, sessions, hosts and viewers through the HTTP API."""

from __future__ import annotations

from tests.helpers import Api, unique_email


async def test_merchant_signup_returns_token_that_works(api: Api) -> None:
    email = unique_email("m")
    status, body = await api.call("POST", "/api/merchants", json={
        "name": "Acme", "email": email, "password": "long-enough-1"})
    assert status == 201
    assert body["merchant"]["name"] == "Acme"
    assert body["user"]["role"] == "merchant" and body["user"]["email"] == email
    assert "password" not in str(body["user"]) and "hash" not in str(body["user"])
    _, me = await api.call("GET", "/api/me", headers={"Authorization": f"Bearer {body['token']}"}, expect=200)
    assert me["id"] == body["user"]["id"] and me["merchant_id"] == body["merchant"]["id"]


async def test_login_with_right_and_wrong_password(api: Api) -> None:
    email = unique_email("m")
    await api.call("POST", "/api/merchants", json={"name": "A", "email": email, "password": "long-enough-1"},
                   expect=201)
    _, ok = await api.call("POST", "/api/sessions", json={"email": email.upper(), "password": "long-enough-1"},
                           expect=200)
    assert ok["user"]["email"] == email and ok["token"]
    _, bad = await api.call("POST", "/api/sessions", json={"email": email, "password": "wrong-password"},
                            expect=401)
    assert bad["error"]["code"] == "invalid_credentials"
    _, unknown = await api.call("POST", "/api/sessions", json={"email": unique_email("x"), "password": "whatever1"},
                                expect=401)
    assert unknown["error"]["code"] == "invalid_credentials"


async def test_duplicate_email_is_409(api: Api) -> None:
    email = unique_email("dup")
    payload = {"name": "A", "email": email, "password": "long-enough-1"}
    await api.call("POST", "/api/merchants", json=payload, expect=201)
    _, body = await api.call("POST", "/api/merchants", json=payload, expect=409)
    assert body["error"]["code"] == "email_taken"


async def test_host_belongs_to_merchant_and_can_log_in(api: Api) -> None:
    owner = await api.merchant()
    host = await api.host(owner, "Ava")
    assert host.user["role"] == "host" and host.merchant_id == owner.merchant_id
    _, listed = await api.call("GET", "/api/merchants/me/hosts", owner, expect=200)
    assert [h["id"] for h in listed["hosts"]] == [host.id]
    other = await api.merchant()
    _, none = await api.call("GET", "/api/merchants/me/hosts", other, expect=200)
    assert none["hosts"] == []


async def test_viewer_registers_and_updates_one_tap_details(api: Api) -> None:
    _, body = await api.call("POST", "/api/viewers", json={"display_name": "Sam"}, expect=201)
    viewer = body["viewer"]
    assert viewer["role"] == "viewer" and viewer["payment_method"] is None and viewer["email"] is None
    headers = {"Authorization": f"Bearer {body['token']}"}
    address = {"name": "Sam", "line1": "1 Road", "city": "Paris", "postal_code": "75001", "country": "FR"}
    _, updated = await api.call("PATCH", "/api/viewers/me", headers=headers, json={
        "payment_method": "pm_card_visa", "shipping_address": address}, expect=200)
    assert updated["viewer"]["payment_method"] == "pm_card_visa"
    assert updated["viewer"]["shipping_address"]["city"] == "Paris"
    assert updated["token"] != body["token"]
    _, me = await api.call("GET", "/api/me", headers={"Authorization": f"Bearer {updated['token']}"}, expect=200)
    assert me["shipping_address"]["postal_code"] == "75001"


async def test_session_cookie_authenticates_pages_but_not_cross_site_writes(api: Api) -> None:
    email = unique_email("m")
    signup = {"name": "A", "email": email, "password": "long-enough-1"}
    async with api.client.post("/api/merchants", json=signup) as r:
        assert r.status == 201
        cookie = r.cookies["live_token"]
        assert cookie["httponly"]
    # The test client keeps the cookie: a same-origin read works without a header.
    _, me = await api.call("GET", "/api/me", expect=200, keep_cookies=True)
    assert me["email"] == email
    _, refused = await api.call("POST", "/api/products", headers={"Origin": "https://evil.example"}, json={
        "sku": "X", "title": "X", "price_cents": 1, "currency": "USD"}, expect=403, keep_cookies=True)
    assert refused["error"]["code"] == "cross_site"
    await api.call("DELETE", "/api/sessions", expect=204, keep_cookies=True)
    await api.call("GET", "/api/me", expect=401)


async def test_bad_and_expired_tokens_are_401(api: Api, settings) -> None:
    from live.auth import Principal, TokenService

    _, body = await api.call("GET", "/api/me", headers={"Authorization": "Bearer not-a-token"}, expect=401)
    assert body["error"]["code"] == "invalid_token"
    expired = TokenService(settings.secret_key, ttl_seconds=-10).issue(Principal("usr_1", "viewer", None, "x"))
    _, body = await api.call("GET", "/api/me", headers={"Authorization": f"Bearer {expired}"}, expect=401)
    assert body["error"]["code"] == "token_expired"
    other_service = TokenService("another-secret-of-at-least-32-bytes!", ttl_seconds=60)
    forged = other_service.issue(Principal("usr_1", "merchant", "mer_1", "x"))
    await api.call("GET", "/api/me", headers={"Authorization": f"Bearer {forged}"}, expect=401)
    await api.call("GET", "/api/me", headers={"Authorization": "Basic abc"}, expect=401)


async def test_an_expired_cookie_is_anonymous_on_public_endpoints(api: Api, settings) -> None:
    """A page whose cookie expired can still load a show, sign a viewer up and log out (which clears it);
    endpoints that need an account still answer 401, and a bad Authorization header always does."""
    from live.auth import COOKIE_NAME, Principal, TokenService

    expired = TokenService(settings.secret_key, ttl_seconds=-10).issue(Principal("usr_1", "viewer", None, "x"))
    api.client.session.cookie_jar.update_cookies({COOKIE_NAME: expired})
    _, body = await api.call("GET", "/api/me", expect=401, keep_cookies=True)
    assert body["error"]["code"] == "token_expired"
    await api.call("GET", "/api/shows", expect=200, keep_cookies=True)
    await api.call("DELETE", "/api/sessions", expect=204, keep_cookies=True)
    api.client.session.cookie_jar.update_cookies({COOKIE_NAME: expired})
    _, body = await api.call("POST", "/api/viewers", json={"display_name": "Back again"}, expect=201)
    assert body["viewer"]["display_name"] == "Back again"
    await api.call("GET", "/api/shows", headers={"Authorization": f"Bearer {expired}"}, expect=401)
