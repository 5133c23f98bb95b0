"""Bad input never gets a 500 or a half-done change: malformed JSON, wrong types, negative numbers, oversized
strings, unknown fields and ids all get a 4xx with the JSON error shape. The sweep walks every endpoint that
takes a body, using the same pydantic models the handlers validate with."""

from __future__ import annotations

from typing import Any

import pytest

from live.api.docs import endpoints_key
from tests.api import community_targets as ct
from tests.api.test_authorization import (
    World,
    a_live_show,
    a_live_show_and_viewer,
    a_live_show_with_offer,
    a_product,
    a_show,
    a_show_with_offer,
    an_affiliate,
    make_world,
    nothing,
    starts,
)
from tests.helpers import Api, unique_email

# For each endpoint with a body: how to make its target, who may call it, and one valid body.
BASELINES: dict[tuple[str, str], tuple[Any, str, Any]] = {
    ("POST", "/api/merchants"): (nothing, "anonymous",
                                 lambda t, w: {"name": "A", "email": unique_email("m"), "password": "pass-word-1"}),
    ("POST", "/api/sessions"): (nothing, "anonymous", lambda t, w: {"email": "a@example.com", "password": "x"}),
    ("POST", "/api/merchants/me/hosts"): (nothing, "owner", lambda t, w: {
        "display_name": "H", "email": unique_email("h"), "password": "pass-word-1"}),
    ("POST", "/api/viewers"): (nothing, "anonymous", lambda t, w: {"display_name": "V"}),
    ("PATCH", "/api/viewers/me"): (nothing, "viewer", lambda t, w: {"display_name": "V2"}),
    ("POST", "/api/products"): (nothing, "owner", lambda t, w: {
        "sku": "S1", "title": "T", "price_cents": 1, "currency": "USD"}),
    ("PATCH", "/api/products/{product_id}"): (a_product, "owner", lambda t, w: {"title": "T2"}),
    ("POST", "/api/shows"): (nothing, "owner", lambda t, w: {
        "title": "S", "starts_at": starts(), "host_id": w.owner.id}),
    ("PATCH", "/api/shows/{show_id}"): (a_show, "owner", lambda t, w: {"title": "S2"}),
    ("POST", "/api/shows/{show_id}/offers"): (a_show, "owner", lambda t, w: {
        "product_id": t["product"], "price_cents": 100, "stock": 1, "per_buyer_limit": 1}),
    ("PATCH", "/api/shows/{show_id}/offers/{offer_id}"): (a_show_with_offer, "owner", lambda t, w: {
        "price_cents": 5}),
    ("POST", "/api/shows/{show_id}/orders"): (a_live_show_with_offer, "viewer", lambda t, w: {
        "offer_id": t["offer"], "quantity": 1}),
    ("POST", "/api/shows/{show_id}/cards"): (a_live_show_with_offer, "owner", lambda t, w: {"offer_id": t["offer"]}),
    ("POST", "/api/shows/{show_id}/offers/{offer_id}/deal"): (a_live_show_with_offer, "owner", lambda t, w: {
        "duration_seconds": 60}),
    ("POST", "/api/shows/{show_id}/chat"): (a_live_show, "viewer", lambda t, w: {"text": "hi"}),
    ("PATCH", "/api/shows/{show_id}/chat"): (a_show, "owner", lambda t, w: {"slow_mode_seconds": 5}),
    ("POST", "/api/shows/{show_id}/moderation"): (a_live_show_and_viewer, "owner", lambda t, w: {
        "user_id": t["target"], "action": "mute"}),
    ("PUT", "/api/merchants/me/blocked-words"): (nothing, "owner", lambda t, w: {"words": ["spam"]}),
    ("POST", "/api/merchants/me/affiliates"): (nothing, "owner", lambda t, w: {
        "display_name": "A", "email": unique_email("a"), "password": "pass-word-1",
        "commission": {"percent": 10, "per_new_buyer_cents": 100}}),
    ("PATCH", "/api/merchants/me/affiliates/{affiliate_id}"): (an_affiliate, "owner", lambda t, w: {
        "commission": {"percent": 12.5, "per_new_buyer_cents": 0}}),
    # Community and trust.
    ("POST", "/api/products/{product_id}/reviews"): (ct.a_product_the_viewer_bought, "viewer", lambda t, w: {
        "rating": 5, "body": "Good"}),
    ("PATCH", "/api/reviews/{review_id}"): (ct.the_viewers_review, "viewer", lambda t, w: {"rating": 4}),
    ("POST", "/api/reviews/{review_id}/votes"): (ct.someone_elses_review, "viewer", lambda t, w: {"helpful": True}),
    ("POST", "/api/reviews/{review_id}/reply"): (ct.someone_elses_review, "owner", lambda t, w: {"text": "Thanks"}),
    ("POST", "/api/reviews/{review_id}/report"): (ct.someone_elses_review, "owner", lambda t, w: {"reason": "Rude"}),
    ("POST", "/api/products/{product_id}/questions"): (a_product, "viewer", lambda t, w: {"text": "Size?"}),
    ("POST", "/api/questions/{question_id}/answers"): (ct.a_question_the_viewer_can_answer, "owner", lambda t, w: {
        "text": "Yes"}),
    ("POST", "/api/shows/{show_id}/answering"): (ct.a_live_chat_question, "owner", lambda t, w: {
        "message_id": t["message"]}),
    ("PUT", "/api/merchants/me/community-settings"): (nothing, "owner", lambda t, w: {
        "expert_min_orders": 2, "expert_min_helpful": 1}),
    ("POST", "/api/orders/{order_id}/issues"): (ct.a_product_the_viewer_bought, "viewer", lambda t, w: {
        "kind": "damaged", "text": "Broken"}),
    ("POST", "/api/order-issues/{issue_id}/messages"): (ct.the_viewers_complaint, "viewer", lambda t, w: {
        "text": "Hi"}),
    ("POST", "/api/order-issues/{issue_id}/resolve"): (ct.the_viewers_complaint, "owner", lambda t, w: {
        "refund_cents": 1}),
    ("POST", "/api/order-issues/{issue_id}/decline"): (ct.the_viewers_complaint, "owner", lambda t, w: {
        "reason": "No"}),
    ("PUT", "/api/viewers/me/credentials"): (nothing, "viewer", lambda t, w: {
        "email": unique_email("v"), "password": "pass-word-1"}),
}

WRONG_VALUES: list[tuple[str, Any]] = [
    ("integer", 12345), ("string", "text"), ("array", ["a"]), ("object", {"a": 1}), ("boolean", True),
]


def json_types(prop: dict[str, Any]) -> set[str]:
    options = prop.get("anyOf", [prop])
    found = set()
    for option in options:
        if "$ref" in option or option.get("type") == "object":
            found.add("object")
        elif "type" in option:
            found.add(option["type"])
    return found


def mutations(model: Any, valid: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Valid bodies with one field made wrong: wrong JSON type, too long, negative."""
    schema = model.model_json_schema()
    cases = []
    for field, prop in schema["properties"].items():
        allowed = json_types(prop)
        wrong = next(value for kind, value in WRONG_VALUES if kind not in allowed)
        cases.append((f"{field}: wrong type", {**valid, field: wrong}))
        if "string" in allowed:
            cases.append((f"{field}: oversized", {**valid, field: "x" * 6000}))
        if "integer" in allowed:
            cases.append((f"{field}: negative", {**valid, field: -1}))
    cases.append(("unknown field", {**valid, "surprise": 1}))
    return cases


def _path(template: str, target: dict[str, str]) -> str:
    names = {"product_id": "product", "show_id": "show", "offer_id": "offer", "affiliate_id": "affiliate",
             "review_id": "review", "question_id": "question", "order_id": "order", "issue_id": "issue"}
    for placeholder, key in names.items():
        template = template.replace("{" + placeholder + "}", target.get(key, ""))
    return template


async def test_every_body_endpoint_has_a_baseline(client) -> None:
    with_body = {(ep.method, ep.path) for ep in client.app[endpoints_key] if ep.body is not None}
    assert with_body - set(BASELINES) == set(), "add a valid baseline body for these endpoints"


@pytest.mark.parametrize("route", sorted(BASELINES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_bad_bodies_get_4xx_json(api: Api, route: tuple[str, str]) -> None:
    method, template = route
    endpoint = next(ep for ep in api.client.app[endpoints_key] if (ep.method, ep.path) == route)
    world: World = await make_world(api)
    prepare, actor_name, make_valid = BASELINES[route]
    target = await prepare(world)
    actor = world.actors[actor_name]
    path = _path(template, target)
    valid = make_valid(target, world)
    headers = dict(actor.headers if actor else {})

    raw_cases = [
        ("malformed JSON", b'{"title": ', "application/json", 400, "invalid_json"),
        ("a JSON array", b"[1, 2]", "application/json", 422, "validation_error"),
        ("a JSON string", b'"hello"', "application/json", 422, "validation_error"),
        ("not JSON at all", b"title=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ]
    for label, raw, content_type, status, code in raw_cases:
        async with api.client.request(method, path, data=raw,
                                      headers={**headers, "Content-Type": content_type}) as response:
            body = await response.json()
            assert response.status == status, f"{label}: {response.status} {body}"
            assert body["error"]["code"] == code and body["error"]["message"], label

    for label, body in mutations(endpoint.body, valid):
        status, answer = await api.call(method, path, actor, json=body)
        assert 400 <= status < 500, f"{label}: {status} {answer}"
        assert answer["error"]["code"] and answer["error"]["message"], label


async def test_unknown_ids_are_404_or_422(api: Api) -> None:
    owner = await api.merchant()
    missing = "shw_00000000000000000000000"
    for method, path in [("GET", f"/api/shows/{missing}"), ("POST", f"/api/shows/{missing}/start"),
                         ("GET", f"/api/shows/{missing}/sales"), ("GET", "/api/shows/not%20an%20id/sales"),
                         ("PATCH", "/api/products/prd_00000000000000000000000"),
                         ("GET", "/api/shows/..%2F..%2Fetc%2Fpasswd"), ("GET", "/api/nowhere")]:
        status, body = await api.call(method, path, owner, json={} if method == "PATCH" else None)
        assert status == 404, (method, path, status, body)
        assert body["error"]["code"] == "not_found"
    show = await api.show(owner)
    status, body = await api.call("POST", f"/api/shows/{show['id']}/offers", owner, json={
        "product_id": "prd_00000000000000000000000", "price_cents": 1, "stock": 1, "per_buyer_limit": 1})
    assert status == 422 and body["error"]["code"] == "invalid_product"
    status, body = await api.call("POST", "/api/shows", owner, json={
        "title": "x", "starts_at": starts(), "host_id": "usr_00000000000000000000000"})
    assert status == 422 and body["error"]["code"] == "invalid_host"


async def test_naive_datetime_and_bad_window_are_422(api: Api) -> None:
    owner = await api.merchant()
    status, body = await api.call("POST", "/api/shows", owner, json={
        "title": "x", "starts_at": "2030-01-01T10:00:00", "host_id": owner.id})
    assert status == 422, body
    show = await api.show(owner)
    product = await api.product(owner)
    status, body = await api.call("POST", f"/api/shows/{show['id']}/offers", owner, json={
        "product_id": product["id"], "price_cents": 1, "stock": 1, "per_buyer_limit": 1,
        "sale_starts_at": "2030-01-01T10:00:00Z", "sale_ends_at": "2030-01-01T09:00:00Z"})
    assert status == 422, body
    _, after = await api.call("GET", f"/api/products/{product['id']}", owner, expect=200)
    assert after["inventory"] == product["inventory"], "a refused offer takes no inventory"


async def test_oversized_body_is_413(api: Api) -> None:
    owner = await api.merchant()
    huge = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    async with api.client.post("/api/products", data=huge, headers={
            **owner.headers, "Content-Type": "application/json"}) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "payload_too_large"


async def test_wrong_method_is_405_json(api: Api) -> None:
    status, body = await api.call("PUT", "/api/shows")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


# Issue 10: inputs that answered 500.
HUGE_NUMBERS = [10**30, -(10**30), 2**63, 253402300800 * 10**6, -62135596800 * 10**6 - 1]


@pytest.mark.parametrize("micros", HUGE_NUMBERS)
async def test_a_cursor_that_decodes_to_a_huge_number_is_422(api: Api, micros: int) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(f"{micros}|ord_x".encode()).decode().rstrip("=")
    viewer = await api.viewer()
    status, body = await api.call("GET", f"/api/me/orders?cursor={cursor}", viewer)
    assert status == 422 and body["error"]["code"] == "invalid_cursor", body
    owner = await api.merchant()
    show = await api.show(owner)
    status, body = await api.call("GET", f"/api/shows/{show['id']}/orders?cursor={cursor}", owner)
    assert status == 422 and body["error"]["code"] == "invalid_cursor", body


EDGE_DATES = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z",
              "9999-12-31T23:59:59-05:00", "1000-06-01T00:00:00Z", "9500-01-01T00:00:00Z"]


@pytest.mark.parametrize("moment", EDGE_DATES)
async def test_dates_near_year_1_or_9999_are_422(api: Api, moment: str) -> None:
    owner = await api.merchant()
    status, body = await api.call("POST", "/api/shows", owner, json={
        "title": "x", "starts_at": moment, "host_id": owner.id})
    assert status == 422 and body["error"]["code"] == "validation_error", body
    show = await api.show(owner)
    status, body = await api.call("PATCH", f"/api/shows/{show['id']}", owner, json={"starts_at": moment})
    assert status == 422, body
    product = await api.product(owner)
    for window in ({"sale_starts_at": moment}, {"sale_ends_at": moment}):
        status, body = await api.call("POST", f"/api/shows/{show['id']}/offers", owner, json={
            "product_id": product["id"], "price_cents": 1, "stock": 1, "per_buyer_limit": 1, **window})
        assert status == 422, (window, body)
    _, after = await api.call("GET", f"/api/products/{product['id']}", owner, expect=200)
    assert after["inventory"] == product["inventory"], "a refused offer takes no inventory"
    status, body = await api.call("GET", f"/merchants/{owner.merchant_id}/shows.ics")
    assert status == 200, body


async def test_the_calendar_feed_survives_a_show_it_cannot_write(api: Api) -> None:
    """A show stored before dates were bounded (or by another tool) is left out of the feed, not a 500."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from db.models import Show
    from live import keys

    owner = await api.merchant()
    good, odd = await api.show(owner, title="Good"), await api.show(owner, title="Odd")
    async with api.client.app[keys.sessionmaker_key]() as session:
        await session.execute(update(Show).where(Show.id == odd["id"]).values(
            starts_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC)))
        await session.commit()
    status, text = await api.call("GET", f"/merchants/{owner.merchant_id}/shows.ics")
    assert status == 200, text
    assert f"{good['id']}@live-shopping" in text and "Good" in text
