"""A NUL character anywhere a caller can put one (path, query, body) is a clean 4xx: PostgreSQL cannot store
or even compare text holding one, so it must never reach SQL. Runs on both backends like the fuzzing."""

from __future__ import annotations

from tests.helpers import Api


async def test_a_nul_in_the_path_query_or_body_is_refused_not_a_500(api: Api) -> None:
    merchant = await api.merchant()
    viewer = await api.viewer()
    show = await api.show(merchant)
    product_fields = {"sku": "NUL-1", "title": "Thing", "price_cents": 100, "currency": "USD"}
    calls = [
        ("GET", "/api/shows/shw_%00", None, None, 404),
        ("GET", "/api/products/prd_%00", merchant, None, 404),
        ("GET", "/api/orders/ord_%00", viewer, None, 404),
        ("GET", "/merchants/mer_%00/shows.ics", None, None, 404),
        ("GET", f"/api/shows/{show['id']}/orders?cursor=%00", merchant, None, 422),
        ("POST", "/api/products", merchant, {**product_fields, "image_url": "http://shop.example/\u0000"}, 422),
        ("POST", "/api/sessions", None, {"email": "someone@example.com", "password": "password\u0000"}, 422),
        ("PUT", "/api/merchants/me/blocked-words", merchant, {"words": ["fine", "bad\u0000"]}, 422),
    ]
    for method, path, actor, body, expected in calls:
        status, answer = await api.call(method, path, actor, json=body)
        assert status == expected, f"{method} {path} -> {status} {answer}"
        assert set(answer["error"]) >= {"code", "message"}
