"""Returning viewers: a viewer who bought without an account sets an email and password, then signs in on
another device and buys with one tap (no checkout again)."""

from __future__ import annotations

from tests.helpers import Api, unique_email


async def test_a_viewer_sets_a_password_and_buys_from_another_device(api: Api) -> None:
    show, offer = await api.live_show(await api.merchant())
    viewer = await api.viewer("Returning")
    email = unique_email("viewer")
    _, saved = await api.call("PUT", "/api/viewers/me/credentials", viewer,
                              json={"email": email, "password": "my-password-1"}, expect=200)
    assert saved["viewer"]["email"] == email
    status, body = await api.call("POST", "/api/sessions", json={"email": email, "password": "wrong-password"})
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    _, session = await api.call("POST", "/api/sessions", json={"email": email.upper(), "password": "my-password-1"},
                                expect=200)
    assert session["user"]["id"] == viewer.id and session["user"]["payment_method"] == "pm_card_visa"
    from tests.helpers import Actor

    other_device = Actor(session["token"], session["user"])
    status, tapped = await api.tap(other_device, show["id"], offer["id"])
    assert status == 201 and tapped["order"]["buyer_id"] == viewer.id

    someone = await api.viewer("Someone")
    status, body = await api.call("PUT", "/api/viewers/me/credentials", someone,
                                  json={"email": email, "password": "another-pass-1"})
    assert status == 409 and body["error"]["code"] == "email_taken"
    status, body = await api.call("PUT", "/api/viewers/me/credentials", someone,
                                  json={"email": "x@example.com", "password": "short"})
    assert status == 422
